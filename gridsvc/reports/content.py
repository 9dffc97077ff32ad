"""What a coverage-gap report holds, whatever its format: read off one Coverage, no I/O.

Every figure comes from :class:`~gridsvc.analysis.coverage.Coverage` (so a report, the API and the
maps agree); this module only selects, ranks and labels. Worst first means: lowest rate, highest
count of a problem (gap area, unassigned buildings) and most households per full-time worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from gridsvc import labels
from gridsvc.analysis.coverage import Coverage, level_of
from gridsvc.analysis.gaps import GAP_KIND, SEVERITY_LABEL
from gridsvc.analysis.metrics import ALL, CODE_LENGTH, HEADLINE, LABELS, LEVELS, METRIC_BY_KEY, PREFIX_LENGTH
from gridsvc.analysis.scene import Thresholds
from gridsvc.labels import FAMILY_LABEL, LAYER_LABEL  # noqa: F401  (the labels users read, defined once)

LEVEL_LABEL = {ALL: "全部", **labels.LEVEL_LABEL}
# each child area's figures in a report's tables and charts: the headline rates (organization coverage
# for should-build: a report counts every organization), the busiest worker's households, alignment
CHILD_KEYS = tuple("org_coverage" if k == "org_should_build_rate" else k for k in HEADLINE) + (
    "households_per_fulltime_worker.max",
    "alignment_rate",
)
SEVERITIES = ("high", "medium", "low")
GENERATED_NOTICE = "※ 本报告数据为生成数据，仅供演示，不反映任何真实社区的情况。"
OSM_ATTRIBUTION = "楼栋轮廓 © OpenStreetMap 贡献者（ODbL）"
# the Excel sheets, as the cover sheet describes them
SHEETS = (
    ("汇总", "本地区各项指标（组织覆盖、工作覆盖、网格空间、两网融合），含分子分母及与上次快照的变化"),
    ("街道/社区/网格排名", "下级各地区的全部指标，按高严重度问题数从多到少排列；可用筛选按任一指标排序"),
    ("综合排名", "考核：下一级各地区的综合得分（各项覆盖率的加权平均，权重见表下，可配置）及主要失分，最低在前"),
    ("目标", "各项目标：当前数值、差距、截止日期、剩余天数和状态（有目标时）"),
    ("问题清单", "逐条问题：严重程度、类型、位置、对象、说明、责任人、发现日期、整改时限、状态"),
    ("网格员负荷", "每个治理（合一）网格的户数、网格长、网格员和每名专职网格员服务户数，负荷最重的在前"),
    ("两网融合", "每个社区党建网格与治理网格的融合率（按户）及两类网格数，最低的在前"),
    ("变化", "与上次快照相比有变化的指标（有快照时）"),
    ("趋势", "历次快照与本期的主要覆盖率（有两期以上时）"),
)


def metric(key: str):
    """The metric a figure's key belongs to ('households_per_fulltime_worker.max' is a statistic of one)."""
    return METRIC_BY_KEY.get(key) or METRIC_BY_KEY[key.rsplit(".", 1)[0]]


def family(key: str) -> str:
    return metric(key).family


def label(key: str) -> str:
    return LABELS.get(key, key)


def is_rate(key: str) -> bool:
    return metric(key).kind == "rate"


def higher_is_worse(key: str) -> bool:
    """Counts of problems and households per worker are worse when higher; rates when lower."""
    return not is_rate(key)


def falls_short(key: str, value: float | None, t: Thresholds, rate_floor: float = 1.0) -> bool:
    """Whether ``value`` of ``key`` shows a problem: a rate below ``rate_floor``, households per
    full-time worker above the limit, any gap area or unassigned or split building.

    >>> falls_short("grid_leader_coverage", 0.95, Thresholds()), falls_short("gap_area_m2.party", 0, Thresholds())
    (True, False)
    """
    if value is None:
        return False
    if is_rate(key):
        return value < rate_floor
    if metric(key).kind == "per_worker":
        return value > t.households_per_fulltime_worker
    return value > 0


def worst_first(rows: list[dict], key: str) -> list[dict]:
    """``rows`` (each with ``metrics``) ordered worst first on ``key``; areas without a figure last.

    >>> rate = "grid_leader_coverage"
    >>> rows = [{"code": "a", "metrics": {rate: {"value": 0.9}}}, {"code": "b", "metrics": {rate: {"value": None}}},
    ...         {"code": "c", "metrics": {rate: {"value": 0.5}}}]
    >>> [r["code"] for r in worst_first(rows, rate)]
    ['c', 'a', 'b']
    """

    def value(row: dict) -> float | None:
        return (row["metrics"].get(key) or {}).get("value")

    known = [r for r in rows if value(r) is not None]
    known.sort(key=lambda r: (-value(r) if higher_is_worse(key) else value(r), r["code"]))
    return known + [r for r in rows if value(r) is None]


@dataclass
class LevelTable:
    """One row per area (or grid) at ``level`` inside the report's area, with all its figures."""

    level: str
    keys: list[str]
    rows: list[dict]  # code, name, parent (name), layer (grids), metrics {key: {value, numerator, denominator}}


@dataclass
class Report:
    area: dict  # code (None: everything), level, name
    as_of: dt.date
    made_at: dt.datetime
    generated: bool
    osm: bool
    thresholds: Thresholds
    headline: dict  # key -> {value, numerator, denominator}
    levels: list[LevelTable]
    actions: pd.DataFrame
    staff_load: pd.DataFrame
    alignment: pd.DataFrame
    map_layers: dict  # communities, grids, gaps: GeoDataFrames (EPSG:4490) for the static map
    previous: dict | None = None  # the snapshot compared with: id, taken_at, area, as_of
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    before: dict = field(default_factory=dict)  # the snapshot's figures: code -> metrics
    map_link: str | None = None
    bulletin: object | None = None  # reports.bulletin.Bulletin: summary, ranking, trend

    @property
    def title(self) -> str:
        a = self.area
        where = a["name"] if a["code"] is None else f"{a['name']}（{a['code']}）"
        return f"{where}网格覆盖情况报告"

    def level(self, level: str) -> LevelTable | None:
        return next((t for t in self.levels if t.level == level), None)


def build_report(
    cov: Coverage, area: str | None, made_at: dt.datetime, thresholds: Thresholds, previous: dict | None = None
) -> Report:
    """The report of ``area`` (None: everything in ``cov``), compared with ``previous`` (a snapshot
    with its ``tree``) when given."""
    level = ALL if area is None else level_of(area)
    if level == "grid":
        raise ValueError(f"{area} is a grid: reports are for a district, street or community")
    head = {"code": area, "level": level, "name": "全部地区" if area is None else cov.name(area)}
    below = LEVELS[LEVELS.index(level) + 1 :] if level != ALL else LEVELS
    levels = [_level_table(cov, area, lv) for lv in below]
    gaps = cov.gap_list(area) if area else cov.gaps
    leaders = grid_leaders(cov)
    report = Report(
        head,
        cov.scene.as_of,
        made_at,
        cov.scene.generated,
        cov.scene.osm,
        thresholds,
        cov.metrics(area),
        levels,
        actions(cov, gaps, leaders),
        staff_load(cov, area, thresholds, leaders),
        alignment_table(cov, area),
        _map_layers(cov, area, gaps),
    )
    if previous is not None:
        report.previous = {k: v for k, v in previous.items() if k != "tree"}
        report.before = flatten(previous["tree"])
        report.changes = changes(report, report.before)
    return report


def _level_table(cov: Coverage, area: str | None, level: str) -> LevelTable:
    codes = cov.descendants(area, level)
    parent_length = CODE_LENGTH[LEVELS[LEVELS.index(level) - 1]] if level != LEVELS[0] else 0
    layers = dict(zip(cov.scene.grids["code"], cov.scene.grids["layer"], strict=True)) if level == "grid" else {}
    rows = []
    for code in codes:
        parent = code[:parent_length]
        row = {
            "code": code,
            "name": cov.name(code),
            "parent": cov.name(parent) if parent else "",
            "metrics": cov.metrics(code),
        }
        if level == "grid":
            row["layer"] = layers[code]
        rows.append(row)
    keys = list(dict.fromkeys(k for r in rows for k in r["metrics"]))
    return LevelTable(level, keys, rows)


def grid_leaders(cov: Coverage) -> pd.Series:
    """Grid code -> the names of its active grid leaders, joined with '、'."""
    scene = cov.scene
    a = scene.active_assignments()
    leaders = scene.staff.loc[scene.staff["role"] == "grid_leader", ["id", "name"]]
    held = a[a["target_type"] == "grid"].merge(leaders, left_on="staff_id", right_on="id")
    return held.groupby("target_id")["name"].agg(lambda names: "、".join(sorted(set(names))))


def actions(cov: Coverage, gaps: gpd.GeoDataFrame, leaders: pd.Series) -> pd.DataFrame:
    """The gap list as an action list: what, where, who is responsible, how severe.

    ``leaders``: grid code -> its active grid leaders (``grid_leaders``). The grid leader of the
    gap's grid is responsible where the grid has one; otherwise (a Party
    grid, a grid without a leader, a gap outside every grid) the community is.
    """
    names = {
        c: cov.name(c)
        for c in set(gaps["community"].dropna()) | set(gaps["street"].dropna()) | set(gaps["district"].dropna())
    }
    grid_names = dict(zip(cov.scene.grids["code"], cov.scene.grids["name"].fillna(""), strict=True))
    leader = gaps["grid"].map(leaders).astype(object)
    community = gaps["community"].map(names).fillna("").astype(object)
    has_leader = leader.notna() & (leader != "")
    responsible = ("网格长 " + leader.fillna("")).where(has_leader, community + "（社区）")
    out = pd.DataFrame(
        {
            "severity": gaps["severity"].map(SEVERITY_LABEL),
            "kind": gaps["kind"].map(lambda k: GAP_KIND[k].label),
            "district": gaps["district"].map(names),
            "street": gaps["street"].map(names),
            "community": community,
            "community_code": gaps["community"],
            "grid": gaps["grid"],
            "grid_name": gaps["grid"].map(grid_names),
            "object_type": gaps["object_type"],
            "object_id": gaps["object_id"],
            "message": gaps["message"],
            "grid_leader": leader.where(has_leader, None),
            "responsible": responsible,
            "kind_code": gaps["kind"],
            "severity_code": gaps["severity"],
        }
    )
    return out.reset_index(drop=True)


def staff_load(cov: Coverage, area: str | None, t: Thresholds, leaders: pd.Series) -> pd.DataFrame:
    """Per staff-side grid: households, leaders, workers and households per full-time worker,
    heaviest first (a grid without a full-time worker first of all)."""
    g = cov.units.staff_grids
    if area:
        g = g[g["grid"].str.startswith(area)]
    per = g["households"] / g["fulltime_workers"].where(g["fulltime_workers"] > 0)
    out = pd.DataFrame(
        {
            "grid": g["grid"],
            "grid_name": g["grid"].map(cov.name),
            "community": g["community"].map(cov.name),
            "layer": g["layer"].map(LAYER_LABEL),
            "households": g["households"],
            "leaders": g["leaders"],
            "grid_leader": g["grid"].map(leaders),
            "workers": g["workers"],
            "fulltime_workers": g["fulltime_workers"],
            "per_worker": per,
            "overloaded": per > t.households_per_fulltime_worker,
        }
    )
    order = out["per_worker"].fillna(np.inf)
    return (
        out.assign(_o=order)
        .sort_values(["_o", "grid"], ascending=[False, True])
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def alignment_table(cov: Coverage, area: str | None) -> pd.DataFrame:
    """Per community: alignment_rate with its households, and how many grids each layer has."""
    codes = cov.descendants(area, "community")
    grids = cov.scene.grids
    layers = (
        pd.crosstab(grids["community_code"], grids["layer"])
        .reindex(index=codes, columns=["party", "governance", "unified"], fill_value=0)
        .fillna(0)
        .astype(int)
    )
    rows = []
    for code in codes:
        rate = cov.metrics(code)["alignment_rate"]
        rows.append(
            {
                "community": code,
                "name": cov.name(code),
                "street": cov.name(code[:9]),
                "party": layers.at[code, "party"],
                "governance": layers.at[code, "governance"],
                "unified": layers.at[code, "unified"],
                "matched_households": rate["numerator"],
                "households": rate["denominator"],
                "alignment_rate": rate["value"],
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "community",
            "name",
            "street",
            "party",
            "governance",
            "unified",
            "matched_households",
            "households",
            "alignment_rate",
        ],
    )
    return out.sort_values(["alignment_rate", "community"], na_position="last").reset_index(drop=True)


def _map_layers(cov: Coverage, area: str | None, gaps: gpd.GeoDataFrame) -> dict:
    c = cov.scene.communities
    g = cov.scene.grids
    if area:
        c = c[c["code"].str.startswith(area)]
        g = g[g["community_code"].str.startswith(area)]
    return {
        "communities": c[["code", "name", "geometry"]],
        "grids": g[["code", "layer", "name", "geometry"]],
        "gaps": gaps[["kind", "severity", "geometry"]],
        "crs": cov.scene.crs,
    }


def flatten(tree: dict | list) -> dict[str, dict]:
    """A stored coverage tree as ``{code: metrics}`` (the empty code: everything, when stored)."""
    out: dict[str, dict] = {}
    stack = list(tree) if isinstance(tree, list) else [tree]
    while stack:
        node = stack.pop()
        out[node["area"]["code"] or ""] = node["metrics"]
        stack.extend(node.get("children", []))
    return out


def changes(report: Report, before: dict[str, dict]) -> pd.DataFrame:
    """Every figure of the report's area and the areas below it that differs from ``before``."""
    rows = []
    places = [(report.area["code"] or "", report.area["name"], report.area["level"], report.headline)]
    for table in report.levels:
        places += [(r["code"], r["name"], table.level, r["metrics"]) for r in table.rows]
    for code, name, level, metrics in places:
        old = before.get(code)
        if old is None:
            continue
        for key, now in metrics.items():
            was = (old.get(key) or {}).get("value")
            if was != now["value"]:
                delta = now["value"] - was if was is not None and now["value"] is not None else None
                rows.append(
                    {
                        "code": code,
                        "name": name,
                        "level": level,
                        "key": key,
                        "label": label(key),
                        "before": was,
                        "after": now["value"],
                        "change": delta,
                    }
                )
    return pd.DataFrame(rows, columns=["code", "name", "level", "key", "label", "before", "after", "change"])


def previous_values(report: Report, code: str) -> dict | None:
    """``key -> value`` of ``code`` in the snapshot compared with (None: no snapshot, or not in it)."""
    if report.previous is None or code not in report.before:
        return None
    return {key: (figure or {}).get("value") for key, figure in report.before[code].items()}


def gap_tally(actions: pd.DataFrame, level: str) -> pd.DataFrame:
    """Gaps per area (or grid) at ``level`` by severity: high, medium, low, total (index: code)."""
    where = actions["grid"] if level == "grid" else actions["community_code"].str[: PREFIX_LENGTH[level]]
    table = pd.crosstab(where, actions["severity_code"]).reindex(columns=list(SEVERITIES), fill_value=0)
    table["total"] = table.sum(axis=1)
    return table.astype(int)


def gap_counts(report: Report, table: LevelTable) -> pd.DataFrame:
    """Gaps per area of ``table`` by severity (code, name, high, medium, low, total), most
    high-severity gaps first, then most gaps: the order of the children tables and ranking sheets."""
    codes = [r["code"] for r in table.rows]
    counts = gap_tally(report.actions, table.level).reindex(codes, fill_value=0).rename_axis("code").reset_index()
    counts.insert(1, "name", [r["name"] for r in table.rows])
    return counts.sort_values(["high", "total", "code"], ascending=[False, False, True]).reset_index(drop=True)


def by_gaps(report: Report, table: LevelTable) -> list[tuple[dict, int, int]]:
    """The rows of ``table`` with their high-severity and total gap counts, in ``gap_counts`` order."""
    rows = {r["code"]: r for r in table.rows}
    counts = gap_counts(report, table)
    return [(rows[c], int(h), int(t)) for c, h, t in zip(counts["code"], counts["high"], counts["total"], strict=True)]
