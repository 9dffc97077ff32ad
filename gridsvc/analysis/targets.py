"""Targets (目标, domain.md §8.5): an area's metric should reach a value by a due date. Each target
is set beside the area's current figure (the same registry and roll-up as every other figure): the gap
to it, the days left, and whether it is met. An area short of its target after the due date is a gap
(``target_missed``).

A rate is short when below its target; households per full-time worker and the spatial counts when
above it.

>>> short_by("grid_leader_coverage", 0.9, 0.8), short_by("households_per_fulltime_worker", 500, 620)
(0.1, 120)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import shapely

from gridsvc.analysis.gaps import gap_row
from gridsvc.analysis.metrics import LABELS, METRIC_BY_KEY

STATUS_LABEL = {"met": "已达标", "open": "未达标", "missed": "逾期未达标", "unknown": "无数据"}


def lower_is_better(metric: str) -> bool:
    return METRIC_BY_KEY[metric].kind != "rate"


def short_by(metric: str, target: float, current: float | None) -> float | None:
    """How far ``current`` falls short of ``target`` (0 when it is met; None without a figure)."""
    if current is None:
        return None
    gap = current - target if lower_is_better(metric) else target - current
    return max(round(gap, 10), 0)


def figure_text(metric: str, value: float | None) -> str:
    """A target or figure as people read it: 95.0% for a rate, 500 for a count."""
    if value is None:
        return "—"
    return f"{value:.1%}" if METRIC_BY_KEY[metric].kind == "rate" else f"{value:,.0f}"


def assess(targets: pd.DataFrame, figures, names: dict[str, str], as_of: dt.date) -> pd.DataFrame:
    """Every target of an area in ``names`` beside its current figure (``figures(code)``: the area's
    metrics): area, name, metric, label, target, current, short, due_date, days_left, status."""
    rows = []
    for t in targets.itertuples(index=False):
        if t.area_code not in names or t.metric not in METRIC_BY_KEY:
            continue
        metrics = figures(t.area_code)  # above a grid, households per worker is the busiest grid's
        current = (metrics.get(t.metric) or metrics.get(f"{t.metric}.max") or {}).get("value")
        short = short_by(t.metric, t.value, current)
        days = (t.due_date - as_of).days
        status = "unknown" if short is None else "met" if short == 0 else "missed" if days < 0 else "open"
        rows.append(
            (
                t.area_code,
                names[t.area_code],
                t.metric,
                LABELS[t.metric],
                t.value,
                current,
                short,
                t.due_date,
                days,
                status,
            )
        )
    columns = ["area", "name", "metric", "label", "target", "current", "short", "due_date", "days_left", "status"]
    return pd.DataFrame(rows, columns=columns).sort_values(["area", "due_date", "metric"], ignore_index=True)


def missed_rows(table: pd.DataFrame, communities) -> list[dict]:
    """The gap rows (``gaps.gap_row``'s fields) of the targets missed: each placed inside its area
    (the first of its communities), its area code standing as the community."""
    codes = communities["code"].to_numpy()
    inside = shapely.point_on_surface(communities.geometry.values.to_numpy())
    rows = []
    for t in table[table["status"] == "missed"].itertuples(index=False):
        where = next(p for c, p in zip(codes, inside, strict=True) if c.startswith(t.area))
        text = (
            f"{t.name}{t.label}目标{figure_text(t.metric, t.target)}（{t.due_date:%Y-%m-%d}前），"
            f"现为{figure_text(t.metric, t.current)}，逾期{-t.days_left}天未达标。"
        )
        rows.append(gap_row("target_missed", t.area, None, f"{t.area}:{t.metric}:{t.due_date:%Y-%m-%d}", text, where))
    return rows
