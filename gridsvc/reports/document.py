"""The report as a sequence of blocks (headings, tables, pictures), laid out once for HTML and PDF.

HTML and PDF differ only in how they draw a block; what is said, in which order and with which
numbers is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gridsvc.analysis.metrics import SHORT_LABELS
from gridsvc.analysis.targets import STATUS_LABEL
from gridsvc.analysis.targets import figure_text as figure_of
from gridsvc.reports import content as rc
from gridsvc.reports import figures
from gridsvc.reports.bulletin import weights_text
from gridsvc.reports.content import LAYER_LABEL, LEVEL_LABEL, Report
from gridsvc.reports.fonts import chinese_font
from gridsvc.reports.reach import reach_part
from gridsvc.textual import figure as figure_text

TOP_N = 5  # areas named per metric in a ranking


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Text:
    text: str
    style: str = "body"  # body | notice | meta | note


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    widths: list[float] | None = None  # relative widths (PDF)
    marks: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> bad | good | high | medium | low


@dataclass
class Picture:
    name: str
    png: bytes
    caption: str
    width: float = 1.0  # share of the text width


@dataclass
class Link:
    text: str
    href: str


def blocks(report: Report, font: Path | None, max_actions: int) -> list:
    """Everything the HTML and the PDF show, in order; ``max_actions``: rows of the action list."""
    figures.use_font(chinese_font(font))
    out: list = [Heading(report.title, 0)]
    if report.generated:
        out.append(Text(rc.GENERATED_NOTICE, "notice"))
    out.append(Text(_meta(report), "meta"))
    if report.map_link:
        out.append(Link("打开交互式问题地图（可缩放、点击查看每个网格和楼栋）", report.map_link))
    out += _summary(report)
    out += _headline(report)
    out += _reach(report)
    out += _targets(report)
    out += _gap_picture(report)
    out += _score_ranking(report)
    out += _rankings(report)
    out += _charts(report)
    out += _alignment(report)
    out += _actions(report, max_actions)
    if report.previous is not None:
        out += _changes(report)
    if report.osm:
        out.append(Text(rc.OSM_ATTRIBUTION, "note"))
    return out


def _summary(report: Report) -> list:
    b = report.bulletin
    if b is None:
        return []
    return [Heading("摘要"), *(Text(p) for p in b.summary)]


def _score_ranking(report: Report) -> list:
    b = report.bulletin
    if b is None or b.ranking.empty:
        return []
    child = LEVEL_LABEL[report.levels[0].level]
    weights = weights_text(b.weights)
    rows, marks = [], {}
    for i, r in enumerate(b.ranking.itertuples()):
        rows.append([str(r.rank), r.name, "—" if pd.isna(r.score) else f"{r.score:.1f}", r.weakest])
        if not pd.isna(r.score) and r.score < 90:
            marks[(i, 2)] = "bad"
    return [
        Heading(f"综合排名（{child}，得分最低在前）", 2),
        Text(f"综合得分为各项覆盖率的加权平均（满分100），权重：{weights}。", "note"),
        Table(["名次", child, "综合得分", "主要失分"], rows, numeric={0, 2}, widths=[0.6, 2, 1, 4], marks=marks),
    ]


def _meta(report: Report) -> str:
    parts = [f"统计日期：{report.as_of:%Y-%m-%d}", f"生成时间：{report.made_at:%Y-%m-%d %H:%M}"]
    p = report.previous
    parts.append(f"对比快照：#{p['id']}（{p['taken_at']:%Y-%m-%d %H:%M}）" if p else "对比快照：无")
    return "　".join(parts)


def change_text(key: str, change: float | None) -> str:
    """'+2.5个百分点' for a rate, '+120' for a count; '' when nothing changed or not comparable."""
    if change is None or pd.isna(change) or change == 0:
        return ""
    if rc.is_rate(key):
        return f"{change * 100:+.1f}个百分点"
    return f"{change:+,.0f}"


def _is_worse(key: str, change: float | None) -> bool:
    return change is not None and not pd.isna(change) and change != 0 and ((change > 0) == rc.higher_is_worse(key))


def _headline(report: Report) -> list:
    out: list = [Heading("一、总体情况")]
    before = rc.previous_values(report, report.area["code"] or "")
    for fam, fam_label in rc.FAMILY_LABEL.items():
        keys = [k for k in report.headline if rc.family(k) == fam and _held(k, report)]
        headers = ["指标", "数值（分子/分母）"] + (["上期", "变化"] if before is not None else [])
        rows, marks = [], {}
        for i, key in enumerate(keys):
            fig = report.headline[key]
            row = [rc.label(key), figure_text(fig)]
            if before is not None:
                was = before.get(key)
                change = fig["value"] - was if was is not None and fig["value"] is not None else None
                row += [_value_text(key, was), "持平" if change == 0 else change_text(key, change)]
                if _is_worse(key, change):
                    marks[(i, 3)] = "bad"
                elif change:
                    marks[(i, 3)] = "good"
            rows.append(row)
        widths = [3, 2.2, 1, 1.3] if before is not None else [3, 2.2]
        out += [Heading(fam_label, 2), Table(headers, rows, numeric={1, 2, 3}, widths=widths, marks=marks)]
    return out


def _reach(report: Report) -> list:
    part = reach_part(report)
    if part is None:
        return []
    out: list = [Heading("服务设施可达情况", 2), *(Text(line) for line in part.lines)]
    out.append(Text("距离沿道路步行计算；未载入道路的地区按直线距离。", "note"))
    if part.rows:
        out.append(Table(part.headers, part.rows, numeric={1, 2}, widths=[2, 1.5, 1.5]))
    return out


def _targets(report: Report) -> list:
    """Each target in the area: current figure, how far short, due date and days left, status."""
    b = report.bulletin
    if b is None or b.targets.empty:
        return []
    rows, marks = [], {}
    for i, t in enumerate(b.targets.itertuples(index=False)):
        days = f"剩{t.days_left}天" if t.days_left >= 0 else f"逾期{-t.days_left}天"
        short = "—" if t.short is None else ("0" if t.short == 0 else figure_of(t.metric, t.short))
        rows.append(
            [
                t.name,
                t.label,
                figure_of(t.metric, t.target),
                figure_of(t.metric, t.current),
                short,
                f"{t.due_date:%Y-%m-%d}",
                days,
                STATUS_LABEL[t.status],
            ]
        )
        marks[(i, 7)] = {"missed": "bad", "met": "good"}.get(t.status, "")
    headers = ["地区", "指标", "目标", "当前", "差距", "截止日期", "剩余", "状态"]
    widths = [1.6, 2.2, 0.9, 0.9, 0.9, 1.2, 1, 1.1]
    return [
        Heading("目标完成情况", 2),
        Table(headers, rows, numeric={2, 3, 4}, widths=widths, marks={k: v for k, v in marks.items() if v}),
    ]


def _held(key: str, report: Report) -> bool:
    """Facility reach only where facilities are held (its figure is then never empty)."""
    return not key.startswith("facility_") or report.headline[key]["value"] is not None


def _value_text(key: str, value) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if rc.is_rate(key) else f"{value:,.0f}"


def _gap_picture(report: Report) -> list:
    out: list = [Heading("二、问题分布")]
    png = figures.gap_map(report)
    if png:
        out.append(Picture("gap-map", png, "图1　问题分布（静态图）"))
    a = report.actions
    counts = a.groupby("severity_code").size()
    out.append(
        Text(
            f"共发现问题 {len(a):,} 个：高严重度 {counts.get('high', 0):,} 个，"
            f"中 {counts.get('medium', 0):,} 个，低 {counts.get('low', 0):,} 个。"
        )
    )
    if report.levels and report.levels[0].level != "grid" and report.levels[0].rows:
        g = rc.gap_counts(report, report.levels[0])
        child = LEVEL_LABEL[report.levels[0].level]
        rows = [[r.name, r.code, f"{r.high:,}", f"{r.medium:,}", f"{r.low:,}", f"{r.total:,}"] for r in g.itertuples()]
        marks = {(i, 2): "high" for i, r in enumerate(g.itertuples()) if r.high}
        out.append(
            Table(
                [child, "代码", "高", "中", "低", "合计"],
                rows,
                numeric={2, 3, 4, 5},
                widths=[2, 2, 1, 1, 1, 1],
                marks=marks,
            )
        )
    kinds = a.groupby(["severity", "kind"], sort=False).size().reset_index(name="n")
    if len(kinds):
        out.append(
            Table(
                ["严重程度", "问题类型", "数量"],
                [[r.severity, r.kind, f"{r.n:,}"] for r in kinds.itertuples()],
                numeric={2},
                widths=[1, 3, 1],
            )
        )
    return out


def _rankings(report: Report) -> list:
    out: list = [Heading("三、下级排名（最差在前）")]
    for n, table in enumerate(report.levels):
        if not table.rows:
            continue
        label = LEVEL_LABEL[table.level]
        out.append(Heading(f"{label}（{len(table.rows):,}个）", 2))
        if n == 0:
            out.append(_children_table(report, table))
        out.append(Text(f"各项指标未达标的{label}（每项最多列出最差的{TOP_N}个）：", "note"))
        rows = []
        for key in (k for k in table.keys if _held(k, report)):
            ranked = [
                r
                for r in rc.worst_first(table.rows, key)
                if rc.falls_short(key, (r["metrics"].get(key) or {}).get("value"), report.thresholds)
            ]
            named = "；".join(_named(r, key) for r in ranked[:TOP_N]) if ranked else "无（均达标）"
            rows.append([rc.label(key), named + (f"；等{len(ranked):,}个" if len(ranked) > TOP_N else "")])
        out.append(Table(["指标", "未达标的，最差在前"], rows, widths=[1.3, 5]))
    return out


def _named(row: dict, key: str) -> str:
    layer = f"［{LAYER_LABEL[row['layer']]}］" if "layer" in row else ""
    fig = row["metrics"][key]
    value = _value_text(key, fig["value"])
    counts = f"（{fig['numerator']:,}/{fig['denominator']:,}）" if fig.get("denominator") is not None else ""
    return f"{row['name']}{layer} {value}{counts}"


def _children_table(report: Report, table: rc.LevelTable) -> Table:
    keys = [k for k in rc.CHILD_KEYS if k in table.keys]
    rows, marks = [], {}
    for i, (r, high, _) in enumerate(rc.by_gaps(report, table)):
        cells = [r["name"], f"{high:,}"]
        for j, key in enumerate(keys, start=2):
            value = (r["metrics"].get(key) or {}).get("value")
            cells.append("—" if value is None else (f"{value:.0%}" if rc.is_rate(key) else f"{value:,.0f}"))
            if rc.falls_short(key, value, report.thresholds, rate_floor=0.8):
                marks[(i, j)] = "bad"
        rows.append(cells)
    headers = [LEVEL_LABEL[table.level], "高严重度问题", *(SHORT_LABELS[k] for k in keys)]
    return Table(headers, rows, numeric=set(range(1, len(headers))), widths=[2, 1.2] + [1] * len(keys), marks=marks)


def _charts(report: Report) -> list:
    out: list = [Heading("四、图表")]
    coverage = figures.coverage_chart(report)
    if coverage:
        out.append(Picture("coverage-chart", coverage, "图2　各社区覆盖率（红色低、绿色高）"))
    workload = figures.workload_chart(report)
    if workload:
        out.append(Picture("workload-chart", workload, "图3　每名专职网格员服务户数（按网格）", 0.9))
    trend = figures.trend_chart(report)
    if trend:
        out.append(Picture("trend-chart", trend, "图4　主要覆盖率的变化（历次快照与本期）", 0.9))
    return out


def _alignment(report: Report) -> list:
    a = report.alignment
    out: list = [Heading("五、两网融合（按社区，最低在前）")]
    if a.empty:
        return out + [Text("本地区没有社区。")]
    rows, marks = [], {}
    for i, r in enumerate(a.itertuples()):
        rate = "—" if pd.isna(r.alignment_rate) else f"{r.alignment_rate:.1%}"
        rows.append(
            [
                r.name,
                r.street,
                f"{r.party}",
                f"{r.governance}",
                f"{r.unified}",
                f"{_int(r.matched_households):,}/{_int(r.households):,}",
                rate,
            ]
        )
        if not pd.isna(r.alignment_rate) and r.alignment_rate < 0.9:
            marks[(i, 6)] = "bad"
    return out + [
        Table(
            ["社区", "街道", "党建网格", "治理网格", "合一网格", "已对应户/总户", "融合率"],
            rows,
            numeric={2, 3, 4, 5, 6},
            widths=[1.6, 1.6, 1, 1, 1, 1.8, 1.1],
            marks=marks,
        )
    ]


def _int(x) -> int:
    return 0 if x is None or pd.isna(x) else int(x)


def _actions(report: Report, limit: int) -> list:
    a = report.actions
    out: list = [Heading("六、问题清单（按严重程度）")]
    if a.empty:
        return out + [Text("没有发现问题。")]
    shown = a.head(limit)
    if len(a) > limit:
        out.append(Text(f"共{len(a):,}条，以下列出最严重的{limit:,}条；完整清单见 Excel 台账（问题清单）。", "note"))
    rows, marks = [], {}
    for i, r in enumerate(shown.itertuples()):
        where = r.community or ""
        grid = (r.grid_name or r.grid) if r.grid else ""
        where = grid if grid.startswith(where) else f"{where} {grid}".strip()  # grid names often begin with it
        rows.append([r.severity, r.kind, where, r.message, r.responsible, _due(r), getattr(r, "status", "")])
        marks[(i, 0)] = r.severity_code
        if str(getattr(r, "status", "")).startswith("逾期"):
            marks[(i, 6)] = "bad"
    return out + [
        Table(
            ["严重", "问题", "位置", "说明", "责任人", "整改时限", "状态"],
            rows,
            widths=[0.6, 1.6, 1.6, 3.4, 1.4, 1.1, 1.3],
            marks=marks,
        )
    ]


def _due(r) -> str:
    deadline = getattr(r, "deadline", None)
    return "" if deadline is None or pd.isna(deadline) else f"{deadline:%Y-%m-%d}"


def _changes(report: Report) -> list:
    p = report.previous
    out: list = [Heading(f"七、与上次快照相比（#{p['id']}，{p['taken_at']:%Y-%m-%d %H:%M}）")]
    c = report.changes
    top = {report.area["code"] or ""} | {r["code"] for r in (report.levels[0].rows if report.levels else [])}
    c = c[c["code"].isin(top)]
    if c.empty:
        return out + [Text("本地区及下一级各项指标均无变化。")]
    rows, marks = [], {}
    for i, r in enumerate(c.itertuples()):
        rows.append(
            [r.name, r.label, _value_text(r.key, r.before), _value_text(r.key, r.after), change_text(r.key, r.change)]
        )
        marks[(i, 4)] = "bad" if _is_worse(r.key, r.change) else "good"
    return out + [
        Table(
            ["地区", "指标", "上期", "本期", "变化"], rows, numeric={2, 3, 4}, widths=[1.6, 3, 1, 1, 1.4], marks=marks
        )
    ]
