"""The proposal beside the two simple alternatives for one community: adopting the governance layer
as it is, and the greedy repair of it (:mod:`gridsvc.analysis.repair`) — moves, grids, the band,
compactness and weighted cost of each, and the lower bound on households moved."""

from __future__ import annotations

import time

import numpy as np
import shapely

from gridsvc.analysis.boundaries import base_tiles
from gridsvc.analysis.cells import atoms, building_cells
from gridsvc.analysis.objective import Weights, polsby_popper, weighted_cost
from gridsvc.analysis.plans import kept_households
from gridsvc.analysis.proposal import CommunityInput, Layout, greedy, propose_layout
from gridsvc.analysis.repair import adopt, governance_candidates


def lower_bound(data: CommunityInput) -> int:
    """Households moved off governance plus off Party can never be fewer than today's mismatch."""
    b = data.buildings
    return int(b["households"].fillna(0).sum()) - kept_households(
        b.fillna({"households": 0}), "party_grid", "governance_grid"
    )


def repaired_layout(
    data: CommunityInput,
    lo: int,
    hi: int,
    weights: Weights = Weights(),  # noqa: B008 - frozen
) -> Layout:
    """The greedy repair of the governance layer as a layout (``plan create --adopt-governance
    --repair-band``), its polygons keeping the live boundaries where no building moves."""
    t0 = time.perf_counter()
    b = data.buildings.reset_index(drop=True)
    h = b["households"].to_numpy(float)
    xy = shapely.get_coordinates(b["rep_point"].to_numpy())
    candidates = governance_candidates(data.governance_grids, data.pairs)
    if not candidates:
        raise ValueError(f"community {data.community} has no governance grids to repair")
    cells = building_cells(data.area, b.geometry.values, b["rep_point"].to_numpy(), data.roads)
    atom = atoms(b["id"].tolist(), data.groups, cells, xy)
    grid, cost, shapes = greedy(data, b, candidates, cells, atom, xy, lo, hi, weights)
    per_grid = np.bincount(grid, np.nan_to_num(h), len(candidates))
    band_met = all(lo <= per_grid[k] <= hi for k in shapes)
    layout = Layout(data.community, candidates, grid, shapes, band_met=band_met)
    layout.cost = cost
    layout.seconds = time.perf_counter() - t0
    return layout


def compare_community(
    data: CommunityInput,
    lo: int,
    hi: int,
    weights: Weights = Weights(),  # noqa: B008 - frozen
    time_limit: float = 60.0,
) -> dict:
    """The three layouts' figures for one community (see the module docstring)."""
    b = data.buildings.reset_index(drop=True)
    xy = shapely.get_coordinates(b["rep_point"].to_numpy())
    candidates = governance_candidates(data.governance_grids, data.pairs)
    out: dict = {"community": data.community, "lower_bound": lower_bound(data)}

    t0 = time.perf_counter()
    adopted = adopt(b, candidates, xy)
    tiles = base_tiles(data.area, data.governance_geoms)
    shapes = {k: tiles[c.governance] for k, c in enumerate(candidates) if c.governance in tiles}
    out["adopt"] = _figures(b, adopted, candidates, shapes, (lo, hi), weights, 0.0, time.perf_counter() - t0)

    repair = repaired_layout(data, lo, hi, weights)
    beyond = repair.cost["boundary"]
    out["repair"] = _figures(
        b, repair.grid_of_building, candidates, repair.geoms, (lo, hi), weights, beyond, repair.seconds
    )

    layout: Layout = propose_layout(data, lo, hi, time_limit, weights)
    beyond = layout.cost["boundary"]
    out["proposal"] = _figures(
        b, layout.grid_of_building, layout.candidates, layout.geoms, (lo, hi), weights, beyond, layout.seconds
    )
    return out


def _figures(b, grid_of_building, candidates, shapes, band, weights, beyond, seconds) -> dict:
    """The figures of one layout; ``beyond``: metres of boundary it draws beyond today's."""
    lo, hi = band
    cost = weighted_cost(b, grid_of_building, candidates, lo, hi, weights, boundary=beyond)
    per_grid = np.bincount(grid_of_building, np.nan_to_num(b["households"].to_numpy(float)))
    held = np.unique(grid_of_building)
    return cost | {
        "grids": len(held),
        "outside_band": int(sum(not (lo <= per_grid[k] <= hi) for k in held)),
        "polsby_popper": polsby_popper(shapes[int(k)] for k in held if int(k) in shapes),
        "seconds": seconds,
    }
