"""The report as one self-contained HTML page (pictures inline), readable offline and printable."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from gridsvc.reports.content import Report
from gridsvc.reports.document import Heading, Link, Picture, Table, Text, blocks

MAX_ACTIONS = 2000

CSS = """
body { font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 24px; color: #222; line-height: 1.5; }
h1 { font-size: 24px; margin: 0 0 8px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 2px solid #2b5797; }
h3 { font-size: 16px; margin: 18px 0 6px; color: #2b5797; }
.notice { background: #fde7e7; border: 2px solid #c00000; color: #c00000; font-weight: bold; padding: 8px 12px; }
.meta { color: #555; } .note { color: #555; font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th { background: #ddebf7; text-align: left; position: sticky; top: 0; }
th, td { border: 1px solid #c8c8c8; padding: 3px 6px; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
.bad { color: #c00000; font-weight: bold; } .good { color: #1a7f37; }
.high { background: #f4b6ad; } .medium { background: #fdd7b5; } .low { background: #fff0c9; }
figure { margin: 12px 0; } figure img { max-width: 100%; } figcaption { color: #555; font-size: 13px; }
a.map { display: inline-block; margin: 8px 0; padding: 6px 12px; background: #2b5797; color: white;
        text-decoration: none; border-radius: 4px; }
@media print { th { position: static; } a.map { display: none; } }
"""


def html_text(report: Report, font: Path | None = None) -> str:
    parts = [
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(report.title)}</title>',
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>',
    ]
    for block in blocks(report, font, MAX_ACTIONS):
        parts.append(_block(block))
    parts.append('<p class="note">由 gridsvc 生成。</p></body></html>')
    return "\n".join(parts)


def _block(block) -> str:
    if isinstance(block, Heading):
        tag = f"h{block.level + 1}"
        return f"<{tag}>{escape(block.text)}</{tag}>"
    if isinstance(block, Text):
        return f'<p class="{block.style}">{escape(block.text)}</p>'
    if isinstance(block, Link):
        return f'<p><a class="map" href="{escape(block.href)}">{escape(block.text)}</a></p>'
    if isinstance(block, Picture):
        data = base64.b64encode(block.png).decode()
        return (
            f'<figure id="{block.name}"><img alt="{escape(block.caption)}" src="data:image/png;base64,{data}"'
            f' style="width:{block.width:.0%}"><figcaption>{escape(block.caption)}</figcaption></figure>'
        )
    if isinstance(block, Table):
        return _table(block)
    raise TypeError(f"no HTML for {type(block).__name__}")


def _table(t: Table) -> str:
    head = "".join(f"<th{' class=num' if i in t.numeric else ''}>{escape(h)}</th>" for i, h in enumerate(t.headers))
    rows = []
    for r, row in enumerate(t.rows):
        cells = []
        for c, value in enumerate(row):
            classes = " ".join(x for x in ("num" if c in t.numeric else "", t.marks.get((r, c), "")) if x)
            cells.append(f'<td class="{classes}">{escape(value)}</td>' if classes else f"<td>{escape(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cols = ""
    if t.widths:  # the same shares as the PDF's columns
        total = sum(t.widths)
        cols = "<colgroup>" + "".join(f'<col style="width:{w / total:.1%}">' for w in t.widths) + "</colgroup>"
    return f"<table>{cols}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
