"""The report's service-facility part (domain.md §8.4): households beyond reach of each facility level,
in the area and in each area below it, most households beyond first. Nothing where no facilities are
held."""

from __future__ import annotations

from dataclasses import dataclass

from gridsvc.analysis.facilities import LEVEL_LABEL
from gridsvc.reports.content import LEVEL_LABEL as AREA_LEVEL_LABEL
from gridsvc.reports.content import Report

KEYS = {"community_centre": "facility_reach_rate", "grid_station": "facility_reach_rate@grid_station"}


def beyond(figure: dict | None) -> int | None:
    """Households a level does not reach: the metric's denominator less its numerator."""
    if not figure or figure.get("value") is None:
        return None
    return int(figure["denominator"] - figure["numerator"])


@dataclass
class ReachPart:
    lines: list[str]  # per level: reached, beyond, the rate
    headers: list[str]  # the table of areas below, most households beyond first
    rows: list[list[str]]


def reach_part(report: Report) -> ReachPart | None:
    """What the report says of facility reach; None where no facilities are held."""
    head = {level: report.headline.get(key) for level, key in KEYS.items()}
    if all(beyond(f) is None for f in head.values()):
        return None
    t = report.thresholds
    metres = {"community_centre": t.reach_community_centre_m, "grid_station": t.reach_grid_station_m}
    lines = [
        f"{LEVEL_LABEL[level]}（{metres[level]:,.0f}米内）：{f['numerator']:,}户可达，{beyond(f):,}户不可达"
        f"（可达率{f['value']:.1%}）。"
        for level, f in head.items()
        if beyond(f) is not None
    ]
    part = ReachPart(lines, [], [])
    below = report.levels[0] if report.levels else None
    if below is None or below.level == "grid":
        return part
    rows = []
    for r in below.rows:
        counts = [beyond(r["metrics"].get(key)) for key in KEYS.values()]
        if any(c for c in counts):
            rows.append((sum(c or 0 for c in counts), r["name"], counts))
    rows.sort(key=lambda row: (-row[0], row[1]))
    part.headers = [AREA_LEVEL_LABEL[below.level], *(f"{LEVEL_LABEL[level]}不可达户数" for level in KEYS)]
    part.rows = [[name, *("—" if c is None else f"{c:,}" for c in counts)] for _, name, counts in rows]
    return part
