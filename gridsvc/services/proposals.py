"""The automatic unified-grid proposal as users run it (CLI and API alike): one programme per community
(:mod:`gridsvc.analysis.proposal`) over the coverage of the communities, stored as a draft plan."""

from __future__ import annotations

import contextlib

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Engine

from gridsvc.analysis.coverage import Coverage, compute_coverage
from gridsvc.analysis.objective import Weights
from gridsvc.analysis.plans import free_codes, tidy_layer
from gridsvc.analysis.scene import PARTY_SIDE, STAFF_SIDE, Thresholds
from gridsvc.errors import InvalidInput
from gridsvc.repository import plans as repo
from gridsvc.repository import read
from gridsvc.repository.scene import load_scene
from gridsvc.services.plans import TIDY_GRID_DEG, common_area, communities_of, party_groups


def propose(
    engine: Engine,
    communities: list[str],
    limits: Thresholds,
    name: str | None = None,
    time_limit: float = 60.0,
    progress=None,
    weights: Weights = Weights(),  # noqa: B008 - frozen
) -> tuple[int, list]:
    """A plan holding the automatic proposal (a unified layer) for ``communities``, one programme per
    community, minimizing the weighted cost under ``weights``; returns the plan id and each
    community's :class:`~gridsvc.analysis.proposal.Layout`."""
    from gridsvc.analysis.proposal import propose_layout

    communities, coverage, inputs = community_inputs(engine, communities, limits)
    frames, layouts = [], []
    for data in inputs:
        with _geometry_of(data.community):
            layout = propose_layout(data, limits.households_min, limits.households_max, time_limit, weights)
        frames.append(_layout_grids(layout, data, coverage))
        layouts.append(layout)
        if progress:
            progress(data.community, layout)
    plan_id = _store(engine, frames, coverage, name or "自动方案", communities, "proposal", weights=weights)
    return plan_id, layouts


@contextlib.contextmanager
def _geometry_of(community: str):
    """A community whose footprints, roads or boundary cannot be cut into building cells is named in
    a clear error (seen on real OSM data before the cells were made robust), not a GEOS traceback."""
    try:
        yield
    except shapely.errors.GEOSException as exc:
        raise InvalidInput(
            f"社区 {community} 的楼栋轮廓、道路或社区边界无法切分成楼栋单元，请检查这些几何（{exc}）"
        ) from exc


def repaired(
    engine: Engine, communities: list[str], limits: Thresholds, name: str | None = None, layer: str = "unified"
) -> int:
    """A plan holding the greedy repair of the governance layer (:mod:`gridsvc.analysis.repair`) for
    ``communities``: the baseline planners compare the proposal with."""
    from gridsvc.analysis.comparison import repaired_layout

    communities, coverage, inputs = community_inputs(engine, communities, limits)
    bare = [data.community for data in inputs if not data.governance_grids]
    if bare:
        raise InvalidInput(f"社区 {', '.join(bare)} 没有可采用和修补的治理网格")
    frames = []
    for data in inputs:
        with _geometry_of(data.community):
            frames.append(
                _layout_grids(repaired_layout(data, limits.households_min, limits.households_max), data, coverage)
            )
    return _store(engine, frames, coverage, name or "采用治理网格并修补户数", communities, "adopt_governance", layer)


def compare(
    engine: Engine,
    communities: list[str],
    limits: Thresholds,
    time_limit: float = 60.0,
    weights: Weights = Weights(),  # noqa: B008 - frozen
) -> list[dict]:
    """Per community: the lower bound on households moved, and adopting the governance layer, its
    greedy repair and the proposal side by side (:func:`gridsvc.analysis.comparison.compare_community`)."""
    from gridsvc.analysis.comparison import compare_community

    _, _, inputs = community_inputs(engine, communities, limits)
    return [
        compare_community(data, limits.households_min, limits.households_max, weights, time_limit) for data in inputs
    ]


def community_inputs(engine: Engine, communities: list[str], limits: Thresholds):
    communities = communities_of(engine, communities)
    with engine.connect() as conn:
        scene = load_scene(conn, common_area(communities))
        roads = read.roads(conn, read.BBox(*scene.communities.total_bounds))
    coverage = compute_coverage(scene, limits)
    return communities, coverage, [proposal_input(coverage, c, roads, limits.split_fraction) for c in communities]


def _store(
    engine: Engine,
    frames,
    coverage: Coverage,
    name: str,
    communities: list[str],
    origin: str,
    layer: str = "unified",
    weights: Weights = Weights(),  # noqa: B008 - frozen
) -> int:
    grids = pd.concat(frames, ignore_index=True)
    grids = gpd.GeoDataFrame(grids, geometry="geometry", crs=coverage.scene.crs).to_crs(4490)
    areas = coverage.scene.communities.to_crs(4490).set_index("code").geometry
    for community, rows in grids.groupby("community_code"):  # valid in the stored CRS, tiling exactly
        order = rows.sort_values("code").index
        grids.loc[order, "geometry"] = tidy_layer(areas[community], list(grids.geometry[order]), TIDY_GRID_DEG)
    with engine.begin() as conn:
        return repo.insert_plan(conn, name, communities, layer, origin, grids, boundary_weight=weights.boundary)


def proposal_input(coverage: Coverage, community: str, roads: gpd.GeoDataFrame, split_fraction: float):
    """What the proposal needs for one community, from its coverage (metric CRS)."""
    from gridsvc.analysis.proposal import CommunityInput

    scene, crs = coverage.scene, coverage.scene.crs
    b = coverage.units.buildings
    mine = (b["community"] == community).to_numpy()
    buildings = gpd.GeoDataFrame(
        {
            "id": b["id"][mine].to_numpy(),
            "households": b["households"][mine].to_numpy(),
            "party_grid": b["party_grid"][mine].to_numpy(),
            "governance_grid": b["governance_grid"][mine].to_numpy(),
        },
        geometry=scene.buildings.geometry[mine].to_crs(crs).values,
        crs=crs,
    )
    buildings["rep_point"] = scene.metric_rep_points(mine)
    area = scene.communities[scene.communities["code"] == community].to_crs(crs).geometry.iloc[0]
    grids = scene.grids[scene.grids["community_code"] == community]
    alignment = coverage.alignment(community)
    road_lines = roads.to_crs(crs).geometry.values.to_numpy() if len(roads) else None
    governance = grids[grids["layer"].isin(STAFF_SIDE)].to_crs(crs)
    return CommunityInput(
        community,
        area,
        buildings,
        list(party_groups(scene, set(buildings["id"])).values()),
        [(p["party"], p["governance"]) for p in alignment.pairs],
        sorted(grids.loc[grids["layer"].isin(PARTY_SIDE), "code"]),
        sorted(grids.loc[grids["layer"].isin(STAFF_SIDE), "code"]),
        road_lines,
        dict(zip(governance["code"], governance.geometry, strict=True)),
        split_fraction,
    )


def _layout_grids(layout, data, coverage: Coverage) -> pd.DataFrame:
    """The layout's grids with codes: a grid anchored on a live grid keeps that code; new ones get free codes."""
    names = dict(zip(coverage.scene.grids["code"], coverage.scene.grids["name"], strict=True))
    anchored = {layout.candidates[k].anchor for k in layout.geoms} - {None}
    fresh = iter(free_codes(set(data.party_grids) | set(data.governance_grids), data.community, len(layout.geoms)))
    rows = []
    for k, geom in sorted(layout.geoms.items()):
        anchor = layout.candidates[k].anchor
        code = anchor if anchor else next(c for c in fresh if c not in anchored)
        rows.append(
            {
                "code": code,
                "community_code": data.community,
                "urban": True,
                "geometry": geom,
                "name": names.get(anchor) if anchor else f"新网格{code[-3:]}",
            }
        )
    return pd.DataFrame(rows)
