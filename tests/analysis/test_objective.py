"""The proposal's objective, the greedy baseline and the kept boundaries, on the hand-drawn community
of test_proposal (400×200 m; governance G1 = x < 200, G2 = x > 200; eight 40 m buildings)."""

from __future__ import annotations

import numpy as np
import shapely

from gridsvc.analysis.cells import atoms, building_cells
from gridsvc.analysis.comparison import compare_community, lower_bound, polsby_popper, repaired_layout
from gridsvc.analysis.proposal import propose_layout
from gridsvc.analysis.repair import adopt
from tests.analysis.test_proposal import IDS, community_input, grids_of

LIVE = {"G1": shapely.box(0, 0, 200, 200), "G2": shapely.box(200, 0, 400, 200)}


def drawn(groups=(), households=None):
    data = community_input([list(g) for g in groups])
    data.governance_geoms = dict(LIVE)
    if households is not None:
        data.buildings["households"] = households
    return data


def test_nothing_moves_and_the_live_boundaries_stay_exactly():
    layout = propose_layout(drawn())
    shapes = {layout.candidates[k].governance: g for k, g in layout.geoms.items()}
    assert set(shapes) == {"G1", "G2"}
    for code, live in LIVE.items():
        assert shapely.equals_exact(
            shapely.normalize(shapes[code]), shapely.normalize(shapely.MultiPolygon([live])), 0.01
        )
    assert layout.cost == {
        "governance": 0.0,
        "party": 100.0,
        "opened": 0,
        "closed": 0,
        "band_excess": 0.0,
        "boundary": 0.0,  # metres beyond today's: the live boundary kept
        "cost": 100.0,
    }


def test_only_the_land_of_the_moved_building_is_redrawn():
    # the Party group t2+t3 moves t2 (100 households) out of G1: 2 × 100 off governance, none off Party
    layout = propose_layout(drawn([("t2", "t3")]))
    assert grids_of(layout) == {"G1": ["b1", "b2", "t1"], "G2": ["b3", "b4", "t2", "t3", "t4"]}
    assert layout.cost["governance"] == 100 and layout.cost["party"] == 0 and layout.cost["cost"] == 200
    shapes = {layout.candidates[k].governance: g for k, g in layout.geoms.items()}
    lower = shapely.box(0, 0, 400, 100)  # the b row: no building there moved, its boundary x = 200 stays
    assert shapely.intersection(shapes["G1"], lower).symmetric_difference(shapely.box(0, 0, 200, 100)).area < 1e-6
    assert shapely.union(shapes["G1"], shapes["G2"]).symmetric_difference(shapely.box(0, 0, 400, 200)).area < 1e-6
    assert shapely.intersection(shapes["G1"], shapes["G2"]).area < 1e-6
    t2 = drawn().buildings.geometry.values[IDS.index("t2")]
    assert shapely.contains(shapes["G2"], t2)


def test_the_greedy_repair_moves_one_boundary_building_into_the_band():
    # G1 holds 4 × 150 = 600 households (over 500), G2 4 × 50 = 200 (under 300): one of G1's buildings
    # at x = 150, next to G2, moves: 450 and 350
    data = drawn(households=[150, 150, 50, 50, 150, 150, 50, 50])
    repaired = repaired_layout(data, 300, 500)
    moved = [
        IDS[i]
        for i, k in enumerate(repaired.grid_of_building)
        if repaired.candidates[k].governance != ("G1" if i % 4 < 2 else "G2")
    ]
    assert repaired.band_met and len(moved) == 1 and moved[0] in {"b2", "t2"}
    assert repaired.cost["governance"] == 150 and repaired.cost["opened"] == repaired.cost["closed"] == 0
    proposal = propose_layout(data)
    assert proposal.band_met and proposal.cost["cost"] <= repaired.cost["cost"]
    assert len(proposal.geoms) <= len(repaired.geoms)


def test_the_lower_bound_is_todays_mismatch():
    assert lower_bound(drawn()) == 100  # t2: Party grid P2, governance grid G1
    row = compare_community(drawn([("t2", "t3")]), 300, 500)
    for method in ("adopt", "repair", "proposal"):
        assert row[method]["governance"] + row[method]["party"] >= row["lower_bound"]
    assert row["proposal"]["cost"] <= row["repair"]["cost"]


def test_polsby_popper_of_a_square_and_a_strip():
    assert np.isclose(polsby_popper([shapely.box(0, 0, 10, 10)]), np.pi / 4)
    assert polsby_popper([shapely.box(0, 0, 100, 1)]) < 0.04


def test_when_the_programme_finds_nothing_the_baseline_is_taken_and_said(monkeypatch):
    # HiGHS stopping at its time limit without a layout: the greedy repair's, with a note
    from gridsvc.analysis import proposal

    def nothing(self, time_limit):
        raise RuntimeError("the proposal programme found no layout: time limit reached")

    monkeypatch.setattr(proposal.Model, "solve", nothing)
    data = drawn(households=[150, 150, 50, 50, 150, 150, 50, 50])
    layout = proposal.propose_layout(data)
    repaired = repaired_layout(data, 300, 500)
    assert proposal.BASELINE_TAKEN in layout.notes
    assert (layout.grid_of_building == repaired.grid_of_building).all()
    assert layout.cost == repaired.cost and layout.band_met


def test_the_cost_cap_row_is_the_weighted_cost():
    # the programme restates objective.weighted_cost as one row (Model._cap): evaluated on layouts,
    # the row plus every governance grid's closing equals the weighted cost, band excess included,
    # and with a boundary weight, the metres of cell edges between grids (Cells.cut)
    from gridsvc.analysis import proposal
    from gridsvc.analysis.cells import street_blocks
    from gridsvc.analysis.objective import Weights, weighted_cost

    data = drawn(households=[150, 150, 50, 50, 150, 150, 50, 50])  # G1 600 (over 500), G2 200 (under 300)
    b = data.buildings.reset_index(drop=True)
    cells = building_cells(data.area, b.geometry.values, b["rep_point"].to_numpy())
    xy = shapely.get_coordinates(b["rep_point"].to_numpy())
    atom = atoms(b["id"].tolist(), data.groups, cells, xy)
    candidates, seeds = proposal._anchored(data, b, xy, b["households"].to_numpy(float))
    roots = atom[proposal._roots(xy, seeds, atom)]
    blocks = street_blocks(data.area, None, b["rep_point"].to_numpy())
    weights = Weights(boundary=0.5)
    model = proposal.Model(b, cells, atom, blocks, candidates, seeds, roots, 300, 500, weights, cost_cap=1e9)
    h = np.bincount(atom, b["households"].to_numpy(float))
    for layout in (adopt(b, candidates, xy), repaired_layout(data, 300, 500).grid_of_building):
        choice = np.zeros(atom.max() + 1, dtype=np.int64)
        choice[atom] = layout
        vector = np.zeros(len(model.c))
        vector[[model.col[(a, k)] for a, k in enumerate(choice)]] = 1
        held = np.bincount(choice, h, model.n_cand)
        used = np.isin(np.arange(model.n_cand), choice)
        vector[model.y0 : model.y0 + model.n_cand] = used
        vector[model.lo0 : model.lo0 + model.n_cand] = np.clip(300 - held, 0, None) * used
        vector[model.hi0 : model.hi0 + model.n_cand] = np.clip(held - 500, 0, None) * used
        u, v = model.borders.T
        vector[model.z0 : model.z0 + len(model.borders)] = choice[u] != choice[v]
        row = model.rows[-1] @ vector
        cut = cells.cut(layout)
        assert cut > 0
        expected = weighted_cost(b, layout, candidates, 300, 500, weights, boundary=cut)["cost"]
        assert np.isclose(row[0] + 100 * len(data.governance_grids), expected), (row, expected)
