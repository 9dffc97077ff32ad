"""Plans (redraws of a grid layer): check one, see what it changes, and map old grids to new ones.

A plan is a set of grid polygons for some communities that will become one layer (``unified`` by
default). Applying it replaces that layer (for ``unified``: every layer) in those communities. What
this module decides, the service and the database carry out:

- :func:`validate_plan`: every grid rule of domain.md §4 plus contiguity, as a list of problems
  (errors block applying; warnings are shown).
- :func:`plan_scene`: the scene as it would be after applying — the same coverage engine then gives
  the metrics after.
- :func:`grid_mapping`: which new grid takes over each replaced grid, where that is unambiguous (all
  its buildings land in one new grid); grid-level Party scopes and staff assignments follow it.
- :func:`plan_diff`: buildings changing grid, Party organizations and staff affected, metrics before
  and after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.alignment import household_table, match_grids
from gridsvc.analysis.assignment import assign_buildings, outside_fraction
from gridsvc.analysis.scene import Scene, Thresholds
from gridsvc.analysis.topology import CODE, community_topology
from gridsvc.analysis.validity import not_a_polygon

# What each problem means, as users read it; errors block applying the plan.
PLAN_RULES = {
    "invalid_polygon": ("error", "网格不是有效的面"),
    "grid_overlap": ("error", "网格相互重叠"),
    "grid_gap_area": ("error", "社区内有未被网格覆盖的空隙"),
    "grid_outside_community": ("error", "网格超出所属社区"),
    "bad_grid_code": ("error", "网格编码应为15位数字且以社区编码开头"),
    "duplicate_code": ("error", "网格编码重复"),
    "code_in_use": ("error", "网格编码已被其他图层的在用网格使用"),
    "not_contiguous": ("error", "网格不连通（由多块组成）"),
    "buildings_unassigned": ("error", "楼栋不在任何网格内"),
    "households_out_of_band": ("warning", "网格户数不在规定范围内"),
    "building_split": ("warning", "楼栋被网格边界切分"),
    # the community's own outline cuts it: no grid of the plan can hold it whole (value: % outside)
    "building_across_community": ("warning", "楼栋跨越社区边界，无法完整归入网格（数值：社区外面积 %）"),
    "party_group_split": ("warning", "党小组的楼栋分属不同网格"),
}


def replaced_layers(layer: str) -> tuple[str, ...]:
    """The live layers a plan applied as ``layer`` replaces: a unified layer replaces them all."""
    return ("party", "governance", "unified") if layer == "unified" else (layer,)


def validate_plan(
    communities_m: gpd.GeoDataFrame,
    plan_m: gpd.GeoDataFrame,
    buildings_m: pd.DataFrame,
    groups: dict[str, list[str]],
    thresholds: Thresholds,
    codes_in_use: set[str],
) -> list[dict]:
    """Problems of a plan's grids (metric CRS), each ``{rule, severity, message, community, grid,
    other, value, geometry}``.

    ``buildings_m``: id, community, geometry, rep_point, households of the plan's communities; ``groups``: Party
    group id → its building ids; ``codes_in_use``: current codes the plan does not replace.
    """
    plan_m = plan_m.reset_index(drop=True)
    problems = _shape_problems(plan_m, codes_in_use)
    grids = plan_m.assign(layer="unified", geometry=shapely.make_valid(plan_m.geometry.values))
    _, topo = community_topology(communities_m, grids, thresholds)
    for p in topo:
        if p["side"] in ("party", None):
            problems.append(_problem(p["kind"], p["community"], p["grid"], p["other"], p["area_m2"], p["geometry"]))
    codes, split = assign_buildings(
        buildings_m["rep_point"].to_numpy(),
        buildings_m.geometry.values.to_numpy(),
        grids["code"].to_numpy(),
        grids.geometry.values.to_numpy(),
        thresholds.split_fraction,
    )
    geom_of = dict(zip(grids["code"], grids.geometry, strict=True))
    lost = pd.isna(codes)
    for b, community, geom in zip(
        buildings_m["id"][lost], buildings_m["community"][lost], buildings_m.geometry[lost], strict=True
    ):
        problems.append(_problem("buildings_unassigned", community, None, b, None, geom))
    outline = dict(zip(communities_m["code"], communities_m.geometry, strict=True))
    beyond = outside_fraction(buildings_m.geometry.values, [outline.get(c) for c in buildings_m["community"]])
    for b, g, out in zip(buildings_m["id"][split], codes[split], beyond[split], strict=True):
        if out > thresholds.split_fraction:
            problems.append(_problem("building_across_community", g[:12], g, b, 100 * out, geom_of[g]))
        else:
            problems.append(_problem("building_split", g[:12], g, b, None, geom_of[g]))
    households = pd.Series(buildings_m["households"].fillna(0).to_numpy(float)).groupby(codes).sum()
    for code, community, geom in zip(grids["code"], grids["community_code"], grids.geometry, strict=True):
        h = float(households.get(code, 0.0))
        if thresholds.band(h) != "within":
            problems.append(_problem("households_out_of_band", community, code, None, h, geom))
    grid_of = dict(zip(buildings_m["id"], codes, strict=True))
    for group, members in groups.items():
        where = sorted({grid_of[m] for m in members if m in grid_of and grid_of[m] is not None})
        if len(where) > 1:
            problems.append(_problem("party_group_split", where[0][:12], where[0], group, None, None, where))
    return problems


def _shape_problems(plan_m: gpd.GeoDataFrame, codes_in_use: set[str]) -> list[dict]:
    problems = []
    seen: set[str] = set()
    for code, community, geom in zip(plan_m["code"], plan_m["community_code"], plan_m.geometry, strict=True):
        if (reason := not_a_polygon(geom)) is not None:
            problems.append(_problem("invalid_polygon", community, code, reason, None, geom))
        elif shapely.get_num_geometries(shapely.normalize(shapely.union_all([geom]))) > 1:
            problems.append(_problem("not_contiguous", community, code, None, shapely.get_num_geometries(geom), geom))
        if not CODE.fullmatch(str(code)) or not str(code).startswith(str(community)):
            problems.append(_problem("bad_grid_code", community, code, None, None, geom))
        if code in seen:
            problems.append(_problem("duplicate_code", community, code, None, None, geom))
        if code in codes_in_use:
            problems.append(_problem("code_in_use", community, code, None, None, geom))
        seen.add(code)
    return problems


def _problem(rule, community, grid, other, value, geometry, grids=None) -> dict:
    severity, message = PLAN_RULES[rule]
    out = {
        "rule": rule,
        "severity": severity,
        "message": message,
        "community": community,
        "grid": grid,
        "other": other,
        "value": None if value is None else round(float(value), 2),
        "geometry": geometry,
    }
    if grids is not None:
        out["grids"] = grids
    return out


FINER = 100  # the community's outline is cut on a grid this much finer than the grids are snapped to


def tidy_layer(community: shapely.Geometry, geoms: list, grid_size: float | None = None) -> list:
    """Grids (code order) made to tile ``community``: clipped to it, overlaps kept by the first grid
    (as building assignment does), every gap given to the grid sharing its longest border, and
    crumbs (parts thinner than ``grid_size``) dropped. How "adopt governance grids" turns a layer with
    gaps into one a plan can apply. Run it in the stored CRS (with ``grid_size`` in its units) so the
    grids share the community's own vertices.

    >>> import shapely
    >>> out = tidy_layer(shapely.box(0, 0, 10, 10), [shapely.box(0, 0, 6, 10), shapely.box(5, 0, 9, 10)])
    >>> [round(g.area) for g in out]
    [60, 40]
    """
    out, taken = [], shapely.Polygon()
    for geom in geoms:
        mine = shapely.difference(  # an overlay can leave lines beside the polygons: polygons only
            polygonal(shapely.intersection(polygonal(shapely.make_valid(geom)), community, grid_size=grid_size)),
            taken,
            grid_size=grid_size,
        )
        out.append(polygonal(mine))
        taken = shapely.union(taken, out[-1], grid_size=grid_size)
    out = _holes_given(community, out, grid_size)
    if grid_size:
        out = [_without_crumbs(g, grid_size) for g in out]
        # snapping moves the community's own outline by up to half a step (off-grid vertices, as on
        # OSM data), so a kilometre of edge stuck out by over 1 m² (grid_outside_community): cut back
        # to it on a grid a hundred times finer (an exact cut leaves spikes too thin to survive the
        # change to metres valid), and give the slivers it leaves inside to their grids
        fine = grid_size / FINER
        clipped = [polygonal(shapely.intersection(g, community, grid_size=fine)) for g in out]
        out = _holes_given(community, clipped, fine)
    return out


def _holes_given(community: shapely.Geometry, out: list, grid_size: float | None = None) -> list:
    """Every part of ``community`` no grid of ``out`` covers, given to the grid sharing its longest
    border (or, touching none, the nearest)."""
    taken = shapely.union_all(np.array(out, dtype=object), grid_size=grid_size)
    holes = shapely.get_parts(polygonal(shapely.difference(community, taken, grid_size=grid_size)))
    for hole in holes[shapely.area(holes) > 0]:
        shared = shapely.length(shapely.intersection(shapely.boundary(np.array(out, dtype=object)), hole.boundary))
        k = (
            int(shared.argmax())
            if shared.max() > 0
            else int(shapely.distance(np.array(out, dtype=object), hole).argmin())
        )
        out[k] = polygonal(shapely.union(out[k], hole, grid_size=grid_size))
    return out


def _without_crumbs(geom: shapely.Geometry, grid_size: float) -> shapely.Geometry:
    parts = shapely.get_parts(geom)
    solid = ~shapely.is_empty(shapely.buffer(parts, -grid_size))
    return shapely.union_all(parts[solid]) if solid.any() else geom


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of ``geom`` (overlay results can carry stray lines and points)."""
    parts = shapely.get_parts(shapely.make_valid(geom))
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    return shapely.union_all(parts) if len(parts) else shapely.Polygon()


def blocking(problems: list[dict]) -> list[dict]:
    return [p for p in problems if p["severity"] == "error"]


# -- the scene after applying ------------------------------------------------------------------
@dataclasses.dataclass
class Remap:
    """Replaced grid → the new grid that takes over (None: ambiguous, for a person to decide)."""

    target: dict[str, str | None]
    candidates: dict[str, dict[str, int]]  # replaced grid → new grid → households landing there


def grid_mapping(before: pd.DataFrame, after: pd.DataFrame, replaced: pd.DataFrame, new: pd.DataFrame) -> Remap:
    """Which new grid takes over each replaced grid.

    ``before``/``after``: per building id, households and ``party_grid``/``governance_grid``
    before and after; ``replaced``: code, layer, geometry; ``new``: code, geometry (one CRS).
    A replaced grid maps to a new grid when all its buildings land there; a grid without buildings,
    when 95 % of its area does. A grid whose code the plan keeps stays itself when at least half of
    its households stay in it (or it has none): its Party scope and staff stay, and only the
    buildings that leave it are said to move.
    """
    target: dict[str, str | None] = {}
    kept = set(new["code"])
    candidates: dict[str, dict[str, int]] = {}
    new_geoms = new.geometry.values.to_numpy()
    for code, layer, geom in zip(replaced["code"], replaced["layer"], replaced.geometry, strict=True):
        side = "governance" if layer == "governance" else "party"
        mine = (before[f"{side}_grid"] == code).to_numpy()
        if mine.any():
            landed = after.loc[mine].groupby(after.loc[mine, f"{side}_grid"].fillna("—"))["households"].sum()
            candidates[code] = {k: int(v) for k, v in landed.items()}
            if code in kept and 2 * landed.get(code, 0) >= landed.sum():
                target[code] = code  # the plan keeps the code and most of the households: the same grid
            else:
                target[code] = landed.index[0] if len(landed) == 1 and landed.index[0] != "—" else None
        elif code in kept:
            target[code], candidates[code] = code, {}
        else:
            share = shapely.area(shapely.intersection(new_geoms, geom)) / max(geom.area, 1e-9)
            best = int(share.argmax()) if len(share) else -1
            target[code] = new["code"].iloc[best] if best >= 0 and share[best] >= 0.95 else None
            candidates[code] = {}
    return Remap(target, candidates)


def plan_scene(scene: Scene, plan: gpd.GeoDataFrame, layer: str, remap: Remap, effective: dt.date) -> Scene:
    """``scene`` with the plan's grids in place of the layers they replace, grid-level scopes and
    assignments following ``remap``, seen on ``effective`` (EPSG:4490 like the scene)."""
    communities = set(plan["community_code"])
    live = scene.grids
    gone = live["community_code"].isin(communities) & live["layer"].isin(replaced_layers(layer))
    grids = pd.concat(
        [
            live[~gone],
            plan.assign(layer=layer, source="plan")[
                ["code", "layer", "community_code", "name", "urban", "source", "geometry"]
            ],
        ],
        ignore_index=True,
    ).sort_values("code", kind="stable")
    grids = gpd.GeoDataFrame(grids, geometry="geometry", crs=live.crs).reset_index(drop=True)
    moved = {old: new for old, new in remap.target.items() if new is not None and new != old}
    scopes = scene.scopes.copy()
    on_grid = scopes["target_type"] == "grid"
    scopes.loc[on_grid, "target_id"] = scopes.loc[on_grid, "target_id"].map(lambda c: moved.get(c, c))
    scopes = scopes.drop_duplicates(["party_org_id", "target_type", "target_id"])
    return dataclasses.replace(
        scene,
        grids=grids,
        scopes=scopes,
        assignments=remapped_assignments(scene.assignments, moved, effective),
        as_of=effective,
    )


def remapped_assignments(assignments: pd.DataFrame, moved: dict[str, str], effective: dt.date) -> pd.DataFrame:
    """Grid assignments on a moved grid: those running on ``effective`` end then and go on at the new
    grid; those starting later simply move; ended ones stay as history."""
    a = assignments.copy()
    on = (a["target_type"] == "grid") & a["target_id"].isin(moved)
    start = pd.to_datetime(a["start_date"])
    end = pd.to_datetime(a["end_date"])
    day = pd.Timestamp(effective)
    later = on & start.notna() & (start > day)
    running = on & ~later & (end.isna() | (end > day))
    a.loc[later, "target_id"] = a.loc[later, "target_id"].map(moved)
    follow = a[running].assign(target_id=a.loc[running, "target_id"].map(moved), start_date=effective)
    a.loc[running, "end_date"] = effective
    return pd.concat([a, follow], ignore_index=True)


# -- comparing layouts ---------------------------------------------------------------------------
def kept_households(buildings: pd.DataFrame, a: str, b: str) -> int:
    """Households that stay together when the grids of column ``a`` are matched one-to-one to those of
    ``b`` (the Hungarian matching of domain.md §5); a building missing on either side is not kept."""
    table = household_table(buildings, a, b)
    if table.empty:
        return 0
    return int(sum(table.at[p, g] for p, g in match_grids(table)))


def households_moved(buildings: pd.DataFrame, layout: str) -> dict[str, int]:
    """Issue (e): households moved away from their live governance grid and their live Party grid
    by ``layout`` (a column of grid codes), each counted through the best one-to-one matching."""
    total = int(buildings["households"].sum())
    return {
        "moved_from_governance": total - kept_households(buildings, layout, "governance_grid"),
        "moved_from_party": total - kept_households(buildings, layout, "party_grid"),
    }


def free_codes(taken: set[str], community: str, count: int) -> list[str]:
    """The first ``count`` grid codes of ``community`` not in ``taken`` (community + 3-digit sequence)."""
    out = []
    for n in np.arange(1, 1000):
        code = f"{community}{n:03d}"
        if code not in taken:
            out.append(code)
            if len(out) == count:
                break
    return out
