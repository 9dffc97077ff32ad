"""The report as a PDF (A4, reportlab), the font embedded so that it prints and reads anywhere.

Every page carries the title, the page number and, for generated data, the notice saying so.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from gridsvc.reports import content as rc
from gridsvc.reports.content import Report
from gridsvc.reports.document import Heading, Link, Picture, Table, Text, blocks
from gridsvc.reports.fonts import chinese_font

MAX_ACTIONS = 300  # the PDF is read; the full list is in the Excel ledger
MARGIN = 15 * mm
MARK_TEXT = {"bad": colors.HexColor("#C00000"), "good": colors.HexColor("#1A7F37")}
MARK_FILL = {
    "high": colors.HexColor("#F4B6AD"),
    "medium": colors.HexColor("#FDD7B5"),
    "low": colors.HexColor("#FFF0C9"),
}


@cache
def _font(path: str) -> str:
    name = f"gridsvc-cjk-{abs(hash(path))}"
    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0) if path.endswith(".ttc") else TTFont(name, path))
    return name


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "num": ParagraphStyle("num", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontSize=8, leading=10.5),
        "head-num": ParagraphStyle("head-num", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
        "h0": ParagraphStyle("h0", parent=base, fontSize=17, leading=23, spaceAfter=10),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontSize=13,
            leading=18,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
            textColor=colors.HexColor("#2B5797"),
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontSize=10.5,
            leading=15,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
            textColor=colors.HexColor("#2B5797"),
        ),
        "notice": ParagraphStyle(
            "notice",
            parent=base,
            fontSize=11,
            leading=16,
            textColor=colors.HexColor("#C00000"),
            backColor=colors.HexColor("#FDE7E7"),
            borderColor=colors.HexColor("#C00000"),
            borderWidth=1,
            borderPadding=5,
            spaceBefore=6,
            spaceAfter=10,
        ),
        "meta": ParagraphStyle("meta", parent=base, textColor=colors.HexColor("#555555")),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, keepWithNext=1, textColor=colors.HexColor("#555555")),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pdf_bytes(report: Report, font: Path | None = None) -> bytes:
    font_name = _font(str(chinese_font(font)))
    styles = _styles(font_name)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN + 2 * mm,
        title=report.title,
        author="gridsvc",
        subject=rc.GENERATED_NOTICE if report.generated else "网格覆盖情况报告",
    )
    story: list = []
    pending: list = []  # headings wait for what follows them, so that none ends a page alone
    for block in blocks(report, font, MAX_ACTIONS):
        flowables = _flowables(block, styles, doc.width)
        if isinstance(block, Heading | Text):
            pending += flowables
            continue
        if pending and flowables:
            story.append(KeepTogether([*pending, flowables[0]]))
            story += flowables[1:]
        else:
            story += pending + flowables
        pending = []
    story += pending
    decorate = _page_decoration(report, font_name)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _page_decoration(report: Report, font: str):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#777777"))
        canvas.drawString(MARGIN, A4[1] - MARGIN + 2 * mm, report.title)
        canvas.drawRightString(A4[0] - MARGIN, MARGIN - 2 * mm, f"第 {doc.page} 页")
        if report.generated:
            canvas.setFillColor(colors.HexColor("#C00000"))
            canvas.drawString(MARGIN, MARGIN - 2 * mm, "生成数据，仅供演示")
        canvas.restoreState()

    return draw


def _flowables(block, styles: dict[str, ParagraphStyle], width: float) -> list:
    if isinstance(block, Heading):
        return [Paragraph(_escape(block.text), styles[f"h{block.level}"])]
    if isinstance(block, Text):
        return [Paragraph(_escape(block.text), styles[block.style])]
    if isinstance(block, Link):
        if not block.href.startswith(("http://", "https://")):
            return []  # a link relative to the server means nothing on paper
        return [
            Paragraph(
                f'{_escape(block.text)}：<a href="{_escape(block.href)}" color="blue">{_escape(block.href)}</a>',
                styles["body"],
            )
        ]
    if isinstance(block, Picture):
        return [_picture(block, styles, width)]
    if isinstance(block, Table):
        return [_table(block, styles, width), Spacer(1, 4 * mm)]
    raise TypeError(f"no PDF for {type(block).__name__}")


def _picture(block: Picture, styles: dict, width: float):
    image = Image(io.BytesIO(block.png))
    scale = min(width * block.width / image.imageWidth, (A4[1] - 2 * MARGIN - 30 * mm) / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return KeepTogether([image, Paragraph(_escape(block.caption), styles["note"]), Spacer(1, 3 * mm)])


def _table(t: Table, styles: dict, width: float) -> PdfTable:
    shares = t.widths or [1.0] * len(t.headers)
    col_widths = [width * s / sum(shares) for s in shares]
    data = [[Paragraph(_escape(h), styles["head-num" if i in t.numeric else "head"]) for i, h in enumerate(t.headers)]]
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#C8C8C8")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for r, row in enumerate(t.rows, start=1):
        cells = []
        for c, value in enumerate(row):
            style = styles["num"] if c in t.numeric else styles["cell"]
            mark = t.marks.get((r - 1, c))
            text = _escape(value)
            if mark in MARK_TEXT:
                text = f'<font color="{MARK_TEXT[mark].hexval()}">{text}</font>'
            if mark in MARK_FILL:
                commands.append(("BACKGROUND", (c, r), (c, r), MARK_FILL[mark]))
            cells.append(Paragraph(text, style))
        data.append(cells)
    table = PdfTable(data, colWidths=col_widths, repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table
