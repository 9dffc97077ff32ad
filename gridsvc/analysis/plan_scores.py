"""What a plan changes in one community, figure by figure: today, with the plan, and the best any
plan could reach, each with what it means — so that a planner can tell a good plan from a bad one
(``gridsvc plan scores``, ``GET /api/plans/{id}/scores``).

"Best" is a bound no plan can beat, not a promise that one reaches it: the households moved off the
two layers together can never be fewer than the households the two layers disagree on today, a
rate cannot pass 100 %, and a community with fewer households than the band's minimum keeps at
least one grid outside the band.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gridsvc.analysis.assignment import outside_fraction
from gridsvc.analysis.boundaries import base_tiles
from gridsvc.analysis.metrics import LABELS
from gridsvc.analysis.objective import inner_boundary, polsby_popper
from gridsvc.analysis.scene import LAYER_WORD, SIDES, STAFF_SIDE, Thresholds


@dataclass(frozen=True)
class Figure:
    key: str
    label: str  # what users read
    kind: str  # count | rate | households | index
    meaning: str  # one sentence a planner reads beside the numbers


def _sided(key: str, label: str, kind: str, meaning: str) -> list[Figure]:
    return [
        Figure(
            f"{key}.{side}",
            label.replace("{side}", LAYER_WORD[side] + "网格"),
            kind,
            meaning.replace("{side}", LAYER_WORD[side]),
        )
        for side in SIDES
    ]


FIGURES: tuple[Figure, ...] = (
    *_sided("grids", "{side}数", "count", "{side}一侧的网格个数（合一网格两侧都算）；多少由户数决定，没有好坏。"),
    *_sided(
        "grids_outside_band",
        "户数超出范围的{side}",
        "count",
        "{side}一侧户数不在{min}–{max}户之间的网格个数；越少越好。",
    ),
    Figure(
        "moved_from_governance",
        "离开原治理网格的户数",
        "households",
        "方案网格与原治理网格按共同户数最多一一配对后，不在配对网格里的户数；直接采用治理网格即为0。",
    ),
    Figure(
        "moved_from_party",
        "离开原党建网格的户数",
        "households",
        "同上，对原党建网格而言；直接采用党建网格即为0。",
    ),
    Figure(
        "moved_total",
        "两项合计",
        "households",
        "任何方案都不可能少于现状两网不一致的户数（这些户至少要离开其中一个网格），最好可能即此下限。",
    ),
    Figure("alignment_rate", LABELS["alignment_rate"], "rate", "党建网格与治理网格按户对应的比例；合一后为100%。"),
    *_sided(
        "buildings_split",
        "被{side}边界切开的楼栋",
        "count",
        "边界穿过楼栋、超过{split}面积在网格外的楼栋数；最好可能是社区边界本身切开的楼栋数（通常为0）。",
    ),
    *_sided("buildings_unassigned", "不在{side}内的楼栋", "count", "没有划入任何{side}网格的楼栋数；应为0。"),
    Figure(
        "grid_branch_coverage",
        LABELS["grid_branch_coverage"],
        "rate",
        "有网格党支部的党建网格占比；方案后的数字只算随网格保留下来的支部。",
    ),
    Figure(
        "grid_leader_coverage",
        LABELS["grid_leader_coverage"],
        "rate",
        "有网格长的治理网格占比；方案后的数字只算随网格保留下来的网格长。",
    ),
    Figure(
        "compactness",
        "治理网格平均紧凑度",
        "index",
        "治理一侧各网格4π×面积÷周长²的平均：圆为1，正方形约0.79，边界越曲折越小；不低于现状的0.9倍为好。",
    ),
)


def score_figures(
    before,
    after,
    community: str,
    households: int,
    moved: dict[str, int],
    bound: int,
    limits: Thresholds,
    compactness: tuple[float | None, float | None] = (None, None),
) -> list[dict]:
    """Each figure of :data:`FIGURES` for ``community`` (of ``households``): ``before`` and ``after``
    are the coverage of today and with the plan; ``moved`` the households moved off each layer;
    ``bound`` the households the two layers disagree on today; ``compactness`` the staff side's
    today and with the plan (:func:`staff_side`)."""
    least_outside = 1 if 0 < households < limits.households_min else 0
    cut_by_outline = _cut_by_outline(before, community, limits.split_fraction)
    values = {}
    for side in SIDES:
        values[f"grids.{side}"] = (_grids(before, community, side), _grids(after, community, side), None)
        values[f"grids_outside_band.{side}"] = (
            _outside_band(before, community, side, limits),
            _outside_band(after, community, side, limits),
            least_outside,
        )
        values[f"buildings_split.{side}"] = _metric(before, after, community, f"buildings_split.{side}") + (
            cut_by_outline,
        )
        key = f"buildings_unassigned.{side}"
        values[key] = _metric(before, after, community, key) + (0,)
    values["moved_from_governance"] = (0, moved["moved_from_governance"], 0)
    values["moved_from_party"] = (0, moved["moved_from_party"], 0)
    values["moved_total"] = (0, moved["moved_from_governance"] + moved["moved_from_party"], bound)
    for key in ("alignment_rate", "grid_branch_coverage", "grid_leader_coverage"):
        values[key] = _metric(before, after, community, key) + (1.0,)
    values["compactness"] = (*compactness, None)
    facts = {"min": limits.households_min, "max": limits.households_max, "split": f"{limits.split_fraction:.0%}"}
    return [
        {"key": f.key, "label": f.label, "kind": f.kind, "meaning": f.meaning.format(**facts)}
        | dict(zip(("before", "after", "best"), values[f.key], strict=True))
        for f in FIGURES
    ]


def _cut_by_outline(coverage, community: str, split_fraction: float) -> int:
    """The community's buildings that its own outline cuts (rule 5): no grid of any plan holds them whole."""
    scene = coverage.scene
    mine = (coverage.units.buildings["community"] == community).to_numpy()
    outline = scene.communities.loc[scene.communities["code"] == community].geometry
    if not mine.any() or outline.empty:
        return 0
    footprints = scene.buildings.geometry.values[mine]
    return int((outside_fraction(footprints, [outline.iloc[0]] * len(footprints)) > split_fraction).sum())


def _units(coverage, side: str) -> pd.DataFrame:
    return coverage.units.party_grids if side == "party" else coverage.units.staff_grids


def _grids(coverage, community: str, side: str) -> int:
    return int((_units(coverage, side)["community"] == community).sum())


def _outside_band(coverage, community: str, side: str, limits: Thresholds) -> int:
    grids = _units(coverage, side)
    households = grids.loc[grids["community"] == community, "households"]
    return int(limits.outside_band(households).sum())


def _metric(before, after, community: str, key: str) -> tuple:
    return tuple(c.metrics(community).get(key, {}).get("value") for c in (before, after))


@dataclass(frozen=True)
class StaffSide:
    """The community's grids on the staff side as they tile it (clipped to it, overlaps to the first
    by code, as the plan comparison measures): their codes, metres of boundary between them (as
    :func:`gridsvc.analysis.boundaries.tiled_boundary` measures it, on the same tiles) and mean
    Polsby-Popper compactness (None without grids)."""

    codes: frozenset[str]
    boundary: float
    compactness: float | None


def staff_side(coverage, community: str) -> StaffSide:
    scene = coverage.scene
    grids = scene.grids[scene.grids["layer"].isin(STAFF_SIDE) & (scene.grids["community_code"] == community)]
    area = scene.communities.loc[scene.communities["code"] == community].to_crs(scene.crs).union_all()
    tiles = base_tiles(area, dict(zip(grids["code"], grids.geometry.to_crs(scene.crs).values, strict=True)))
    grid_tiles = [g for code, g in tiles.items() if code is not None]
    return StaffSide(
        frozenset(grids["code"]),
        inner_boundary(tiles.values(), area) if len(grids) else 0.0,
        round(polsby_popper(grid_tiles), 4) if grid_tiles else None,
    )
