"""Domain errors. Lower layers raise these; the API turns them into HTTP answers in one table."""

from __future__ import annotations

from dataclasses import dataclass


class GridsvcError(Exception):
    """Base of every error gridsvc reports to a user."""


class DatabaseUnavailable(GridsvcError):
    """The database could not be reached, created or started."""


class NotFound(GridsvcError):
    """An object asked for by code or id does not exist."""


class InvalidInput(GridsvcError):
    """A request or option is malformed."""


class Unauthenticated(GridsvcError):
    """No valid credentials: a missing, unknown or expired token, a wrong password, a disabled user."""


class Forbidden(GridsvcError):
    """The caller is known, but their role may not do this."""


class TooManyAttempts(GridsvcError):
    """Too many failed logins: try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


DUPLICATE = "duplicate"  # a key (an id, a code) given twice
INVALID_GEOMETRY = "invalid_geometry"  # a geometry GEOS calls invalid (--repair can mend it)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, named so a person can find and fix it. ``kind`` says what
    is wrong where a program acts on it (:data:`DUPLICATE`, :data:`INVALID_GEOMETRY`), not by the
    reason's wording; ``sheet``: ``layer`` is a ledger's sheet and ``feature`` its row.

    >>> str(Problem("楼栋", "第 3 行（楼栋编号=b9）", "层数", "'六层' 不是整数", sheet=True))
    "工作表 '楼栋'，第 3 行（楼栋编号=b9），字段 '层数'：'六层' 不是整数"
    >>> str(Problem("buildings", "#0 (id=t1)", "floors", "'six' 不是整数"))
    "图层 'buildings'，要素 #0 (id=t1)，字段 'floors'：'six' 不是整数"
    """

    layer: str
    feature: str | None
    column: str | None
    reason: str
    kind: str | None = None
    sheet: bool = False

    def __str__(self) -> str:
        where = [f"工作表 {self.layer!r}" if self.sheet else f"图层 {self.layer!r}"]
        if self.feature is not None:
            where.append(self.feature if self.sheet else f"要素 {self.feature}")
        if self.column is not None:
            where.append(f"字段 {self.column!r}")
        return f"{'，'.join(where)}：{self.reason}"


class ImportRejected(GridsvcError):
    """An import found problems; nothing was written. ``hint`` names the option that would help;
    ``dataset`` is what was read despite the problems, for checks that can still run on it."""

    max_listed = 20

    def __init__(self, source: str, problems: list[Problem], hint: str | None = None, dataset=None):
        self.source = source
        self.problems = problems
        self.hint = hint
        self.dataset = dataset
        lines = [str(p) for p in problems[: self.max_listed]]
        more = len(problems) - len(lines)
        if more > 0:
            lines.append(f"……另有 {more} 个问题")
        if hint:
            lines.append(f"提示：{hint}")
        super().__init__(f"{source}：导入被拒绝，没有改动任何数据（{len(problems)} 个问题）：\n  " + "\n  ".join(lines))


class PlanRejected(GridsvcError):
    """A plan has errors (domain.md §4 rules, contiguity, codes) and cannot be applied; nothing changed."""

    max_listed = 20

    def __init__(self, plan_id: int, problems: list[dict]):
        self.plan_id = plan_id
        self.problems = problems
        lines = [
            f"{p['rule']} {p['grid'] or p['community'] or ''}: {p['message']}" for p in problems[: self.max_listed]
        ]
        if len(problems) > len(lines):
            lines.append(f"……另有 {len(problems) - len(lines)} 个错误")
        super().__init__(
            f"方案 {plan_id} 未应用，没有改动任何数据（{len(problems)} 个错误）：\n  " + "\n  ".join(lines)
        )
