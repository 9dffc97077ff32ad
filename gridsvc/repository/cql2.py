"""CQL2-text filters on simple comparisons (OGC API – Features Part 3), compiled to SQL with bound values.

The subset: ``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``, ``[NOT] LIKE``, ``[NOT] IN (…)``,
``[NOT] BETWEEN … AND …``, ``IS [NOT] NULL``, joined by ``AND``, ``OR``, ``NOT`` and brackets. Values
are strings in single quotes (``''`` for a quote), numbers, ``TRUE``/``FALSE`` and ``DATE('…')``.
A property must be one of the collection's (``queryables``); values never enter the SQL text.

>>> compile_filter("households >= 100 AND use = 'residential'", {"households", "use"})
('(t.households >= :q0 AND t.use = :q1)', {'q0': 100, 'q1': 'residential'})
>>> compile_filter("NOT (name LIKE '%号楼' OR floors IS NULL)", {"name", "floors"})[0]
'(NOT (t.name LIKE :q0 OR t.floors IS NULL))'
>>> compile_filter("floors > 'x' OR", {"floors"})
Traceback (most recent call last):
...
gridsvc.errors.InvalidInput: filter：末尾缺少比较
"""

from __future__ import annotations

import datetime as dt
import re

from gridsvc.errors import InvalidInput

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<op><>|<=|>=|=|<|>|\(|\)|,)
      | (?P<quoted>"[^"]+")
      | (?P<word>[A-Za-z_][A-Za-z0-9_:]*)
    )""",
    re.VERBOSE,
)
_COMPARISONS = {"=", "<>", "<", "<=", ">", ">="}


def _tokens(text: str) -> list[tuple[str, str]]:
    found, at = [], 0
    text = text.rstrip()
    while at < len(text):
        m = _TOKEN.match(text, at)
        if not m or m.end() == at:
            raise InvalidInput(f"filter：无法解析 {text[at:].strip()[:30]!r}")
        kind = m.lastgroup or ""
        found.append((kind, m.group(kind)))
        at = m.end()
    return found


class _Parser:
    def __init__(self, text: str, properties: set[str]):
        self.tokens, self.at, self.properties, self.params = _tokens(text), 0, properties, {}

    def peek(self, offset: int = 0) -> tuple[str, str]:
        i = self.at + offset
        return self.tokens[i] if i < len(self.tokens) else ("end", "")

    def keyword(self, *words: str) -> bool:
        kind, value = self.peek()
        if kind == "word" and value.upper() in words:
            self.at += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if self.peek()[1] != value:
            raise InvalidInput(f"filter：{self.where()}应为 {value!r}")
        self.at += 1

    def where(self) -> str:
        kind, value = self.peek()
        return "在末尾" if kind == "end" else f"在 {value!r} 之前"

    def parse(self) -> str:
        sql = self.disjunction()
        if self.peek()[0] != "end":
            raise InvalidInput(f"filter：{self.where()}应为 AND 或 OR")
        return sql

    def disjunction(self) -> str:
        parts = [self.conjunction()]
        while self.keyword("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def conjunction(self) -> str:
        parts = [self.negation()]
        while self.keyword("AND"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def negation(self) -> str:
        if self.keyword("NOT"):
            return f"(NOT {self.negation()})"
        if self.peek()[1] == "(":
            self.at += 1
            inner = self.disjunction()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> str:
        column = self.property()
        kind, value = self.peek()
        if kind == "op" and value in _COMPARISONS:
            self.at += 1
            return f"{column} {value} {self.value()}"
        if self.keyword("IS"):
            negated = self.keyword("NOT")
            if not self.keyword("NULL"):
                raise InvalidInput(f"filter：{self.where()}应为 NULL")
            return f"{column} IS {'NOT ' if negated else ''}NULL"
        negated = "NOT " if self.keyword("NOT") else ""
        if self.keyword("LIKE"):
            return f"{column} {negated}LIKE {self.value()}"
        if self.keyword("BETWEEN"):
            low = self.value()
            if not self.keyword("AND"):
                raise InvalidInput(f"filter：{self.where()}应为 AND")
            return f"{column} {negated}BETWEEN {low} AND {self.value()}"
        if self.keyword("IN"):
            self.expect("(")
            values = [self.value()]
            while self.peek()[1] == ",":
                self.at += 1
                values.append(self.value())
            self.expect(")")
            return f"{column} {negated}IN ({', '.join(values)})"
        raise InvalidInput(f"filter：{self.where()}应为比较（=、<>、<、>、LIKE、IN、BETWEEN、IS NULL）")

    def property(self) -> str:
        kind, value = self.peek()
        if kind == "end":
            raise InvalidInput("filter：末尾缺少比较")
        name = value.strip('"') if kind in ("word", "quoted") else None
        if name is None or name not in self.properties:
            raise InvalidInput(f"filter：{value!r} 不是这里的属性；可查询的属性有 {', '.join(sorted(self.properties))}")
        self.at += 1
        return f"t.{name}"

    def value(self) -> str:
        kind, text = self.peek()
        self.at += 1
        if kind == "string":
            return self.bind(text[1:-1].replace("''", "'"))
        if kind == "number":
            return self.bind(float(text) if re.search(r"[.eE]", text) else int(text))
        if kind == "word" and text.upper() in ("TRUE", "FALSE"):
            return self.bind(text.upper() == "TRUE")
        if kind == "word" and text.upper() in ("DATE", "TIMESTAMP") and self.peek()[1] == "(":
            self.at += 1
            day = self.peek()
            self.at += 1
            self.expect(")")
            try:
                return self.bind(dt.date.fromisoformat(day[1].strip("'")[:10]))
            except ValueError:
                raise InvalidInput(f"filter：{day[1]} 不是日期（YYYY-MM-DD）") from None
        self.at -= 1
        raise InvalidInput(f"filter：{self.where()}应为一个值（'文本'、数字、TRUE/FALSE、DATE('…')）")

    def bind(self, value: object) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return f":{name}"


def compile_filter(text: str, properties: set[str]) -> tuple[str, dict]:
    """``text`` (CQL2-text) as a SQL condition on ``t`` and its bound values; InvalidInput says what is wrong."""
    parser = _Parser(text, properties)
    return parser.parse(), parser.params
