"""Every metric of domain.md §5, defined once, and its roll-up grid → community → street → district.

A metric is a numerator column and a denominator column of one unit table; a level's figure is
their sums over the units in the area (never an average of rates), and a rate with a zero
denominator is None.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridsvc.analysis.scene import LAYER_WORD, text

CODE_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}
LEVELS = ("district", "street", "community", "grid")
ALL = "all"  # everything in the scene at once (a city's report): its one code is ""
PREFIX_LENGTH = CODE_LENGTH | {ALL: 0}


def code_pattern(*levels: str, anchored: bool = True) -> str:
    r"""The regular expression of a code of these levels (all four without any): the one spelling of
    the area-code format, used by the API's parameters, the importer and the topology checks.

    >>> print(code_pattern("district", "street"))
    ^(\d{6}|\d{9})$
    >>> print(code_pattern("grid", anchored=False))
    (\d{15})
    """
    body = "|".join(rf"\d{{{CODE_LENGTH[level]}}}" for level in (levels or LEVELS))
    return f"^({body})$" if anchored else f"({body})"


@dataclass(frozen=True)
class Metric:
    key: str
    label: str  # what users read (Chinese)
    table: str  # unit table: buildings, organizations, party_grids, staff_grids, topology
    grid: str | None  # the unit table's column naming the grid; None: community level and up
    numerator: str
    denominator: str | None = None
    kind: str = "rate"  # rate | count | per_worker
    family: str = "organization"  # organization (组织覆盖) | work (工作覆盖) | spatial
    short: str | None = None  # the column header in tables and charts of many areas
    headline: bool = False  # one of the figures every summary leads with (maps, terminal tables)


def _spatial(name: str, label: str, table: str, column: str) -> list[Metric]:
    return [
        Metric(
            f"{name}.{side}",
            label.format(side=LAYER_WORD[side] + "网格"),
            table,
            None,
            column.format(side=side),
            kind="count",
            family="spatial",
        )
        for side in ("party", "governance")
    ]


# domain.md §5 and §8.2: the organization metrics count 两新 organizations (resident units are
# counted under §8.1), and each is reported per sector too (``…@enterprise``, ``…@social_org``)
SECTOR_WORDS = {"enterprise": "非公企业", "social_org": "社会组织"}
REGISTERED, IN_SERVICE = ("registered_home", "registrable"), ("in_service_registered", "in_service_members")


def _organizations() -> list[Metric]:
    base = (  # key, label, short, numerator, denominator, family, headline
        (
            "org_should_build_rate",
            "两新组织应建已建率",
            "两新应建已建",
            "should_build_own",
            "should_build",
            "organization",
            True,
        ),
        ("org_own_rate", "单独组建率", "单独组建", "own", "one", "organization", False),
        ("org_coverage", "组织覆盖率", "组织覆盖", "party_covered", "one", "organization", False),
        ("org_work_coverage", "工作覆盖率", "工作覆盖", "work_covered", "one", "work", True),
    )
    out = []
    for sector in (None, *SECTOR_WORDS):
        for key, label, short, num, den, family, headline in base:
            word = SECTOR_WORDS.get(sector)
            out.append(
                Metric(
                    f"{key}@{sector}" if sector else key,
                    (word + label[4:] if label.startswith("两新组织") else f"{label}（{word}）") if word else label,
                    "organizations",
                    "party_grid",
                    f"{num}@{sector or 'two_new'}",
                    f"{den}@{sector or 'two_new'}",
                    family=family,
                    short=f"{short.removeprefix('两新')}({word[:2]})" if word else short,
                    headline=headline and not sector,
                )
            )
    return out


METRICS: tuple[Metric, ...] = (
    Metric(
        "grid_branch_coverage",
        "网格党支部覆盖率",
        "party_grids",
        "grid",
        "has_branch",
        "one",
        short="网格党支部",
        headline=True,
    ),
    Metric(
        "building_group_coverage",
        "楼栋党小组应建已建率",
        "buildings",
        "party_grid",
        "eligible_covered",
        "eligible",
        short="楼栋党小组",
        headline=True,
    ),
    Metric(
        "member_coverage",
        "党员覆盖率",
        "buildings",
        "party_grid",
        "covered_members",
        "full_members",
        short="党员覆盖",
        headline=True,
    ),
    *_organizations(),
    Metric(
        "grid_leader_coverage",
        "网格长配备率",
        "staff_grids",
        "grid",
        "one_leader",
        "one",
        family="work",
        short="网格长",
        headline=True,
    ),
    Metric(
        "grid_worker_coverage",
        "网格员配备率",
        "staff_grids",
        "grid",
        "has_worker",
        "one",
        family="work",
        short="网格员",
        headline=True,
    ),
    Metric(
        "building_leader_coverage",
        "楼栋长覆盖率",
        "buildings",
        "governance_grid",
        "has_leader",
        "residential",
        family="work",
        short="楼栋长",
        headline=True,
    ),
    # domain.md §8.1: registration (报到) of resident units' Party organizations and of in-service members
    Metric(
        "unit_registration_rate", "驻区单位党组织报到率", "organizations", "party_grid", *REGISTERED, short="单位报到"
    ),
    Metric("member_registration_rate", "在职党员报到率", "buildings", "governance_grid", *IN_SERVICE, short="在职报到"),
    # §8.1: resident units with a co-building agreement in force (analysis.cobuilding)
    Metric(
        "cobuilding_rate",
        "驻区单位共建协议签订率",
        "organizations",
        "party_grid",
        "cobuilt",
        "cobuilding_base",
        short="共建",
    ),
    # domain.md §8.4: households within reach of a service facility (analysis.facilities)
    Metric(
        "facility_reach_rate",
        "党群服务中心覆盖率（按户）",
        "buildings",
        "governance_grid",
        "centre_reached",
        "reach_base",
        family="work",
        short="服务中心可达",
    ),
    Metric(
        "facility_reach_rate@grid_station",
        "网格党群服务站覆盖率（按户）",
        "buildings",
        "governance_grid",
        "station_reached",
        "reach_base",
        family="work",
        short="服务站可达",
    ),
    Metric(
        "households_per_fulltime_worker",
        "每名专职网格员服务户数",
        "staff_grids",
        "grid",
        "households",
        "fulltime_workers",
        kind="per_worker",
        family="work",
        short="户/专职网格员",
    ),
    Metric(
        "alignment_rate",
        "两网融合率（按户）",
        "alignment",
        None,
        "matched_households",
        "households",
        family="spatial",
        short="两网融合",
    ),
    *_spatial("gap_area_m2", "{side}空白面积(㎡)", "topology", "gap_area_m2.{side}"),
    *_spatial("overlap_area_m2", "{side}重叠面积(㎡)", "topology", "overlap_area_m2.{side}"),
    *_spatial("buildings_unassigned", "不在{side}内的楼栋", "buildings", "{side}_unassigned"),
    *_spatial("buildings_split", "被{side}边界切开的楼栋", "buildings", "{side}_split"),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
LABELS = {m.key: m.label for m in METRICS} | {
    "households_per_fulltime_worker.max": "每名专职网格员服务户数（最多）",
    "households_per_fulltime_worker.median": "每名专职网格员服务户数（中位）",
}


# short column headers for tables and charts of many areas
SHORT_LABELS = {m.key: m.short for m in METRICS if m.short} | {
    "households_per_fulltime_worker.max": "户/专职(最多)",
    "households_per_fulltime_worker.median": "户/专职(中位)",
}
HEADLINE = tuple(m.key for m in METRICS if m.headline)  # the rates every summary leads with, in order


def area_codes(communities: pd.Series, level: str) -> pd.Series:
    """The code at ``level`` of each community code (its prefix), sliced once per distinct code."""
    codes, distinct = pd.factorize(communities)  # a missing community is -1: the None appended last
    prefixes = np.array([c[: PREFIX_LENGTH[level]] for c in distinct] + [None], dtype=object)
    return text(prefixes[codes], index=communities.index)


def level_figures(tables: dict[str, pd.DataFrame], level: str, *, ratios: bool = False) -> pd.DataFrame:
    """One row per (area code, metric key) with numerator, denominator and value at ``level``.

    Each unit table is summed once per grouping: every metric on it reads its columns off those sums.
    With ``ratios``, a per-worker metric is not summarized but handed up unit by unit (code: the
    unit's community), so that :func:`roll_up` can take the maximum and median of a larger area.
    """
    frames = []
    for name, table in tables.items():
        metrics = [m for m in METRICS if m.table == name and (level != "grid" or m.grid is not None)]
        groupings: dict[str, list[Metric]] = {}
        for m in metrics:
            groupings.setdefault(m.grid if level == "grid" else level, []).append(m)
        for by, group in groupings.items():
            keys = table[by] if level == "grid" else area_codes(table["community"], level)
            columns = sorted({c for m in group for c in (m.numerator, m.denominator) if c})
            sums = table[columns].astype(float).groupby(keys.to_numpy()).sum()
            per_worker = [m for m in group if m.kind == "per_worker" and level != "grid"]
            summed = [m for m in group if m not in per_worker]
            if summed:
                frames.append(_figures(summed, sums))
            for m in per_worker:
                frames.append(_unit_ratios(m, table) if ratios else _per_worker_stats(m, table, keys))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out.dropna(subset=["code"])


def _figures(group: list[Metric], sums: pd.DataFrame) -> pd.DataFrame:
    """The figures of every metric in ``group`` (none per worker) off the same sums, in one frame."""
    n = len(sums)
    counts = np.repeat([m.kind == "count" for m in group], n)
    numerator = np.concatenate([sums[m.numerator].to_numpy(dtype=float) for m in group])
    nothing = np.full(n, np.nan)
    denominator = np.concatenate(
        [nothing if m.kind == "count" else sums[m.denominator].to_numpy(dtype=float) for m in group]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)
    value[counts] = numerator[counts]
    numerator[counts] = np.nan
    return pd.DataFrame(
        {
            "code": np.tile(sums.index.to_numpy(), len(group)),
            "key": np.repeat([m.key for m in group], n),
            "numerator": numerator,
            "denominator": denominator,
            "value": value,
        }
    )


def _per_worker_stats(metric: Metric, table: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Households per full-time worker above grid level: the maximum and median over grids."""
    grouped = _ratio(metric, table).groupby(keys.to_numpy())
    rows = []
    for stat in ("max", "median"):
        values = getattr(grouped, stat)()
        rows.append(
            pd.DataFrame(
                {
                    "code": values.index,
                    "key": f"{metric.key}.{stat}",
                    "numerator": np.nan,
                    "denominator": np.nan,
                    "value": values.to_numpy(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _ratio(metric: Metric, table: pd.DataFrame) -> pd.Series:
    return table[metric.numerator] / table[metric.denominator].where(table[metric.denominator] > 0)


def _unit_ratios(metric: Metric, table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": table["community"].to_numpy(),
            "key": metric.key,
            "numerator": np.nan,
            "denominator": np.nan,
            "value": _ratio(metric, table).to_numpy(dtype=float),
        }
    )


_KIND = {m.key: m.kind for m in METRICS}


def roll_up(parts: pd.DataFrame, level: str) -> pd.DataFrame:
    """The figures at ``level`` of the areas that ``parts`` (:func:`level_figures` of smaller areas,
    with ``ratios``) add up to: the same sums, so the same numbers as computing the larger area whole.

    >>> parts = pd.DataFrame({"code": ["320199001", "320199002"], "key": "building_group_coverage",
    ...                       "numerator": [1.0, 2.0], "denominator": [2.0, 2.0], "value": [0.5, 1.0]})
    >>> roll_up(parts, "district")[["code", "numerator", "denominator", "value"]].values.tolist()
    [['320199', 3.0, 4.0, 0.75]]
    """
    codes = parts["code"].str[: PREFIX_LENGTH[level]]
    kind = parts["key"].map(_KIND)
    per_worker = (kind == "per_worker").to_numpy()
    summed = parts[~per_worker].groupby([codes[~per_worker], parts["key"][~per_worker]], sort=False)
    sums = summed[["numerator", "denominator", "value"]].sum(min_count=1).reset_index(names=["code", "key"])
    rate = sums["key"].map(_KIND).to_numpy() == "rate"
    sums.loc[rate, "value"] = sums["numerator"] / sums["denominator"].where(sums["denominator"] > 0)
    frames = [sums]
    grouped = parts["value"][per_worker].groupby([codes[per_worker], parts["key"][per_worker]], sort=False)
    for stat in ("max", "median"):
        values = getattr(grouped, stat)().reset_index(name="value")
        frames.append(values.assign(key=values["key"] + "." + stat, numerator=np.nan, denominator=np.nan))
    return pd.concat(frames, ignore_index=True)[["code", "key", "numerator", "denominator", "value"]]


def as_json(figures: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """``{code: {key: {value, numerator, denominator}}}``: None for missing, ints for counts of things."""
    out: dict[str, dict[str, dict]] = {}
    whole = {m.key: m.kind == "count" and not m.key.startswith(("gap_", "overlap_")) for m in METRICS}
    keys = figures["key"].tolist()
    values = _numbers(figures["value"].to_numpy(dtype=float), np.array([whole.get(k, False) for k in keys], dtype=bool))
    everywhere = np.ones(len(figures), dtype=bool)
    numerators = _numbers(figures["numerator"].to_numpy(dtype=float), everywhere)
    denominators = _numbers(figures["denominator"].to_numpy(dtype=float), everywhere)
    for code, key, value, num, den in zip(
        figures["code"].tolist(), keys, values, numerators, denominators, strict=True
    ):
        out.setdefault(code, {})[key] = {"value": value, "numerator": num, "denominator": den}
    return out


def _numbers(x: np.ndarray, whole: np.ndarray) -> list:
    """JSON numbers: None for missing; counts of things (where ``whole``) as int; rates and areas as
    floats rounded to 6 places.

    >>> _numbers(np.array([np.nan, 3.0, 3.0, 0.1234567]), np.array([True, True, False, False]))
    [None, 3, 3.0, 0.123457]
    """
    missing = np.isnan(x)
    integral = whole & ~missing & (x == np.floor(np.where(missing, 0, x)))
    out = np.empty(len(x), dtype=object)
    out[integral] = x[integral].astype(np.int64).astype(object)
    rest = ~missing & ~integral
    out[rest] = [round(v, 6) for v in x[rest].tolist()]
    return out.tolist()
