"""The report as an Excel 台账: one sheet per table, typed cells, frozen headers, filters.

Rates are numbers formatted as percentages (sortable, summable by hand), counts are integers,
and every sheet starts with its header row so that filters and sorting work on the whole table.
Written with XlsxWriter in constant-memory mode (rows go to disk as they are written).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd
import xlsxwriter

from gridsvc.analysis.targets import STATUS_LABEL
from gridsvc.reports import content as rc
from gridsvc.reports.bulletin import weights_text
from gridsvc.reports.content import LAYER_LABEL, LEVEL_LABEL, Report

PERCENT = "0.0%"
INTEGER = "#,##0"
DECIMAL = "#,##0.0"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | int | percent | decimal
    width: float = 12


def _cell(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value


@dataclass(frozen=True)
class Typed:
    """A cell whose format differs from its column's (a rate in a column of mixed metrics)."""

    value: object
    kind: str


class Book:
    """A workbook whose sheets are tables: header in row 1, frozen, filtered."""

    def __init__(self, target):
        self.workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
        self.formats = {
            "header": self.workbook.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
            ),
            "percent": self.workbook.add_format({"num_format": PERCENT}),
            "int": self.workbook.add_format({"num_format": INTEGER}),
            "decimal": self.workbook.add_format({"num_format": DECIMAL}),
            "change": self.workbook.add_format({"num_format": "+0.0%;-0.0%;0.0%"}),
            "title": self.workbook.add_format({"bold": True, "font_size": 14}),
            "warning": self.workbook.add_format({"bold": True, "font_color": "#C00000", "font_size": 12}),
            "text": None,
        }

    def sheet(self, name: str, columns: list[Column], rows, note: str | None = None) -> int:
        """Write a table; returns its number of data rows. ``note``, when given, follows the table."""
        ws = self.workbook.add_worksheet(name)
        for j, col in enumerate(columns):
            ws.set_column(j, j, col.width, self.formats[col.kind])
            ws.write_string(0, j, col.header, self.formats["header"])
        ws.freeze_panes(1, 0)
        n = 0
        for n, row in enumerate(rows, start=1):
            for j, (col, value) in enumerate(zip(columns, row, strict=True)):
                kind = col.kind
                if isinstance(value, Typed):
                    value, kind = value.value, value.kind
                value = _cell(value)
                if value is None:
                    continue
                if kind == "text":
                    ws.write_string(n, j, str(value))
                else:
                    ws.write_number(n, j, float(value), self.formats[kind])
        ws.autofilter(0, 0, max(n, 1), len(columns) - 1)
        if note:
            ws.write_string(n + 2, 0, note)
        return n

    def close(self) -> None:
        self.workbook.close()


def write_xlsx(report: Report, target) -> None:
    """Write ``report`` to ``target`` (a path or a binary file object)."""
    book = Book(target)
    _cover(book, report)
    _summary(book, report)
    for table in report.levels:
        _level(book, report, table)
    _ranking(book, report)
    _targets(book, report)
    _actions(book, report)
    _staff(book, report)
    _alignment(book, report)
    if report.previous is not None:
        _changes(book, report)
    _trend(book, report)
    book.close()


def xlsx_bytes(report: Report) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    return buffer.getvalue()


def metric_columns(key: str) -> list[Column]:
    """A rate as rate, numerator, denominator; anything else as one number."""
    if rc.is_rate(key):
        return [
            Column(rc.label(key), "percent", 12),
            Column(f"{rc.label(key)}·分子", "int", 9),
            Column(f"{rc.label(key)}·分母", "int", 9),
        ]
    return [Column(rc.label(key), "decimal" if "area" in key or "worker" in key else "int", 12)]


def metric_cells(key: str, figure: dict | None) -> list:
    figure = figure or {}
    if rc.is_rate(key):
        return [figure.get("value"), figure.get("numerator"), figure.get("denominator")]
    return [figure.get("value")]


def _cover(book: Book, report: Report) -> None:
    """The first sheet: what this is, whether it is generated data, what each sheet holds."""
    ws = book.workbook.add_worksheet("说明")
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 90)
    ws.write_string(0, 0, report.title, book.formats["title"])
    row = 1
    if report.generated:
        ws.write_string(row, 0, rc.GENERATED_NOTICE, book.formats["warning"])
        row += 1
    facts = [
        ("统计日期", f"{report.as_of:%Y-%m-%d}"),
        ("生成时间", f"{report.made_at:%Y-%m-%d %H:%M}"),
        ("对比快照", _previous(report) or "无（尚未保存快照：gridsvc snapshot）"),
    ]
    if report.osm:
        facts.append(("数据来源", rc.OSM_ATTRIBUTION))
    if report.bulletin is not None:
        facts += [("摘要" if i == 0 else "", text) for i, text in enumerate(report.bulletin.summary)]
    facts += [(name, text) for name, text in rc.SHEETS]
    for label_, text in facts:
        row += 1
        ws.write_string(row, 0, label_)
        ws.write_string(row, 1, text)


def _previous(report: Report) -> str | None:
    p = report.previous
    return None if p is None else f"#{p['id']}，{p['taken_at']:%Y-%m-%d %H:%M}（统计日期 {p['as_of']:%Y-%m-%d}）"


def _typed(key: str, *values) -> list[Typed]:
    """Figures of ``key`` for a column of mixed metrics: rates as percentages, the last (a change)
    as a signed percentage; anything else as a number."""
    *figures, change = values
    if rc.is_rate(key):
        return [*(Typed(v, "percent") for v in figures), Typed(change, "change")]
    return [Typed(v, "decimal") for v in values]


def _summary(book: Book, report: Report) -> None:
    columns = [
        Column("类别", width=10),
        Column("指标", width=30),
        Column("指标代码", width=34),
        Column("数值", "decimal", 12),
        Column("分子", "int", 10),
        Column("分母", "int", 10),
        Column("上期数值", "decimal", 12),
        Column("变化", "decimal", 12),
    ]
    before = rc.previous_values(report, report.area["code"] or "")
    rows = []
    for key, figure in report.headline.items():
        was = before.get(key) if before is not None else None
        change = figure["value"] - was if was is not None and figure["value"] is not None else None
        now, was, change = _typed(key, figure["value"], was, change)
        rows.append(
            [
                rc.FAMILY_LABEL[rc.family(key)],
                rc.label(key),
                key,
                now,
                figure["numerator"],
                figure["denominator"],
                was,
                change,
            ]
        )
    book.sheet("汇总", columns, rows)


def _level(book: Book, report: Report, table: rc.LevelTable) -> None:
    columns = [Column("代码", width=17), Column("名称", width=22), Column("上级", width=14)]
    if table.level == "grid":
        columns.append(Column("网格类型", width=8))
    columns += [Column("高严重度问题", "int", 8), Column("问题合计", "int", 8)]
    for key in table.keys:
        columns += metric_columns(key)
    rows = []
    for row, high, total in rc.by_gaps(report, table):
        cells = [row["code"], row["name"], row["parent"]]
        if table.level == "grid":
            cells.append(LAYER_LABEL[row["layer"]])
        cells += [high, total]
        for key in table.keys:
            cells += metric_cells(key, row["metrics"].get(key))
        rows.append(cells)
    book.sheet(f"{LEVEL_LABEL[table.level]}排名", columns, rows)


ACTION_COLUMNS = [
    Column("严重程度", width=8),
    Column("问题类型", width=18),
    Column("街道", width=12),
    Column("社区", width=12),
    Column("社区代码", width=14),
    Column("网格代码", width=17),
    Column("网格名称", width=20),
    Column("对象编号", width=16),
    Column("对象", width=18),
    Column("说明", width=60),
    Column("网格长", width=10),
    Column("责任人", width=20),
    Column("发现日期", width=12),
    Column("整改时限", width=12),
    Column("状态", width=22),
]


def _actions(book: Book, report: Report) -> None:
    a = report.actions
    fields = [
        "severity",
        "kind",
        "street",
        "community",
        "community_code",
        "grid",
        "grid_name",
        "object_id",
        "object_name",
        "message",
        "grid_leader",
        "responsible",
        "since",
        "deadline",
        "status",
    ]
    a = a.reindex(columns=fields).astype(object)
    for day in ("since", "deadline"):
        a[day] = [None if pd.isna(d) else f"{d:%Y-%m-%d}" for d in a[day]]
    book.sheet("问题清单", ACTION_COLUMNS, a.itertuples(index=False, name=None))


def _ranking(book: Book, report: Report) -> None:
    b = report.bulletin
    if b is None or b.ranking.empty:
        return
    weights = weights_text(b.weights)
    columns = [
        Column("名次", "int", 6),
        Column("代码", width=16),
        Column(LEVEL_LABEL[report.levels[0].level], width=24),
        Column("综合得分", "decimal", 10),
        Column("主要失分", width=60),
    ]
    rows = b.ranking.itertuples(index=False, name=None)
    note = f"综合得分（考核）为各项覆盖率的加权平均（满分100），权重：{weights}（GRIDSVC_ASSESSMENT_WEIGHTS）"
    book.sheet("综合排名", columns, rows, note=note)


def _targets(book: Book, report: Report) -> None:
    b = report.bulletin
    if b is None or b.targets.empty:
        return
    columns = [
        Column("地区代码", width=14),
        Column("地区", width=20),
        Column("指标", width=28),
        Column("指标代码", width=30),
        Column("目标", "decimal", 10),
        Column("当前", "decimal", 10),
        Column("差距", "decimal", 10),
        Column("截止日期", width=12),
        Column("剩余天数", "int", 10),
        Column("状态", width=12),
    ]
    rows = (
        [
            t.area,
            t.name,
            t.label,
            t.metric,
            *(Typed(v, "percent" if rc.is_rate(t.metric) else "decimal") for v in (t.target, t.current, t.short)),
            f"{t.due_date:%Y-%m-%d}",
            t.days_left,
            STATUS_LABEL[t.status],
        ]
        for t in b.targets.itertuples(index=False)
    )
    book.sheet("目标", columns, rows, note="剩余天数为负表示已逾期；差距为距目标还差多少（已达标为0）")


def _trend(book: Book, report: Report) -> None:
    b = report.bulletin
    if b is None or b.trend["label"].nunique() < 2:
        return
    wide = b.trend.pivot_table(index=["date", "label"], columns="key", values="value", sort=False).reset_index()
    keys = [k for k in b.trend["key"].unique() if k in wide.columns]
    columns = [Column("统计日期", width=12), Column("来源", width=10)] + [
        Column(rc.label(k), "percent", 14) for k in keys
    ]
    rows = ([f"{r['date']:%Y-%m-%d}", r["label"], *(r[k] for k in keys)] for _, r in wide.iterrows())
    book.sheet("趋势", columns, rows)


def _staff(book: Book, report: Report) -> None:
    columns = [
        Column("网格代码", width=17),
        Column("网格名称", width=20),
        Column("社区", width=12),
        Column("网格类型", width=8),
        Column("户数", "int", 8),
        Column("网格长", width=10),
        Column("网格长人数", "int", 8),
        Column("网格员人数", "int", 8),
        Column("专职网格员人数", "int", 8),
        Column("每名专职网格员服务户数", "decimal", 12),
        Column("是否超标", width=8),
    ]
    s = report.staff_load
    rows = (
        [
            r.grid,
            r.grid_name,
            r.community,
            r.layer,
            r.households,
            r.grid_leader,
            r.leaders,
            r.workers,
            r.fulltime_workers,
            r.per_worker,
            "超标" if r.overloaded else ("无专职" if pd.isna(r.per_worker) else ""),
        ]
        for r in s.itertuples()
    )
    book.sheet("网格员负荷", columns, rows)


def _alignment(book: Book, report: Report) -> None:
    columns = [
        Column("社区代码", width=14),
        Column("社区", width=12),
        Column("街道", width=12),
        Column("党建网格数", "int", 8),
        Column("治理网格数", "int", 8),
        Column("合一网格数", "int", 8),
        Column("已对应户数", "int", 10),
        Column("总户数", "int", 10),
        Column("两网融合率", "percent", 10),
    ]
    a = report.alignment
    book.sheet("两网融合", columns, a.itertuples(index=False, name=None))


def _changes(book: Book, report: Report) -> None:
    columns = [
        Column("代码", width=17),
        Column("名称", width=22),
        Column("层级", width=6),
        Column("指标", width=30),
        Column("指标代码", width=34),
        Column("上期", "decimal", 12),
        Column("本期", "decimal", 12),
        Column("变化", "decimal", 12),
    ]

    rows = (
        [r.code, r.name, LEVEL_LABEL[r.level], r.label, r.key, *_typed(r.key, r.before, r.after, r.change)]
        for r in report.changes.itertuples()
    )
    book.sheet("变化", columns, rows)
