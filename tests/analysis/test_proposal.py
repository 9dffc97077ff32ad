"""The automatic proposal on a hand-drawn community (metres), answers countable by eye.

    y 100..200   t1 t2 t3 t4        Buildings are 40×40 m squares centred on x = 50, 150, 250, 350,
    y   0..100   b1 b2 b3 b4        100 households each; the community is 400×200 m.

Governance: G1 = x < 200, G2 = x > 200 (400 households each, in the band 300–500).
Party: P1 = b1, t1, b2 (300); P2 = the rest (500). Matched P1–G1, P2–G2; t2 (in P2 and G1) is the
one unmatched building. A Party group holds t2 and t3, so keeping G1/G2 would split it: the best
layout moves only t2 (100 households, off G1) — grid A = b1, t1, b2 and grid B = the rest.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gridsvc.analysis.assignment import assign_to_polygons, representative_points
from gridsvc.analysis.proposal import CommunityInput, propose_layout

IDS = ["b1", "b2", "b3", "b4", "t1", "t2", "t3", "t4"]
X = [50, 150, 250, 350] * 2
Y = [50] * 4 + [150] * 4


def community_input(groups):
    footprints = [shapely.box(x - 20, y - 20, x + 20, y + 20) for x, y in zip(X, Y, strict=True)]
    b = gpd.GeoDataFrame({"id": IDS, "households": [100] * 8}, geometry=footprints, crs=4549)
    b["rep_point"] = representative_points(b.geometry.values)
    b["governance_grid"] = np.where(np.array(X) < 200, "G1", "G2")
    b["party_grid"] = ["P1", "P1", "P2", "P2", "P1", "P2", "P2", "P2"]
    return CommunityInput(
        "C", shapely.box(0, 0, 400, 200), b, groups, [("P1", "G1"), ("P2", "G2")], ["P1", "P2"], ["G1", "G2"]
    )


def grids_of(layout):
    return {layout.candidates[k].anchor: sorted(np.array(IDS)[layout.grid_of_building == k]) for k in layout.geoms}


def test_without_groups_the_governance_grids_stay():
    layout = propose_layout(community_input([]))
    assert layout.band_met and not layout.notes
    assert grids_of(layout) == {"G1": ["b1", "b2", "t1", "t2"], "G2": ["b3", "b4", "t3", "t4"]}


def test_a_party_group_moves_its_building_and_nothing_else():
    layout = propose_layout(community_input([["t2", "t3"]]))
    assert grids_of(layout) == {"G1": ["b1", "b2", "t1"], "G2": ["b3", "b4", "t2", "t3", "t4"]}
    assert layout.band_met


def test_grids_tile_the_community_contiguously_and_hold_their_buildings():
    data = community_input([["t2", "t3"]])
    layout = propose_layout(data)
    geoms = list(layout.geoms.values())
    assert shapely.union_all(geoms).symmetric_difference(data.area).area < 1e-6  # (a) no gap
    assert shapely.intersection(geoms[0], geoms[1]).area < 1e-6  # (a) no overlap
    assert all(shapely.get_num_geometries(shapely.normalize(g)) == 1 for g in geoms)  # (c) contiguous
    inside = assign_to_polygons(data.buildings["rep_point"].to_numpy(), geoms)
    order = sorted(layout.geoms)
    assert [order[i] for i in inside] == layout.grid_of_building.tolist()
    assert all(shapely.contains(geoms[i], f) for i, f in zip(inside, data.buildings.geometry, strict=True))  # (d)


def test_too_many_households_open_a_new_grid():
    data = community_input([])
    data.buildings["households"] = 150  # 1,200 households: at least three grids of at most 500
    layout = propose_layout(data)
    households = np.bincount(layout.grid_of_building, data.buildings["households"], len(layout.candidates))
    assert len(layout.geoms) == 3 and layout.band_met
    assert all(300 <= households[k] <= 500 for k in layout.geoms)


def test_the_programme_can_hold_every_move_the_greedy_repair_makes():
    # a row of five houses, G1 = the first four (370 households), G2 = the last (150): the band
    # 250-300 is met only by moving h4 and then h3 into G2; h3 is two houses from G2 as it is today.
    # The programme let a house join only the grids of its own or its neighbours' houses today, so it
    # could not hold that layout, found none as good and handed back the repair with a note
    xs, households = [50, 150, 250, 350, 450], [150, 100, 60, 60, 150]
    footprints = [shapely.box(x - 20, 30, x + 20, 70) for x in xs]
    ids = ["h1", "h2", "h3", "h4", "h5"]
    b = gpd.GeoDataFrame({"id": ids, "households": households}, geometry=footprints, crs=4549)
    b["rep_point"] = representative_points(b.geometry.values)
    b["governance_grid"] = ["G1"] * 4 + ["G2"]
    b["party_grid"] = ["P1"] * 4 + ["P2"]
    area = shapely.box(0, 0, 500, 100)
    governance = {"G1": shapely.box(0, 0, 400, 100), "G2": shapely.box(400, 0, 500, 100)}
    data = CommunityInput("C", area, b, [], [("P1", "G1"), ("P2", "G2")], ["P1", "P2"], ["G1", "G2"], None, governance)
    layout = propose_layout(data, 250, 300)
    assert layout.band_met and not layout.notes, layout.notes
    held = {layout.candidates[k].anchor: sorted(np.array(ids)[layout.grid_of_building == k]) for k in layout.geoms}
    assert held == {"G1": ["h1", "h2"], "G2": ["h3", "h4", "h5"]}


def test_a_live_line_through_a_house_bends_around_it_and_stays_elsewhere():
    # G1 runs to x = 165 below y = 100 and to x = 200 above: its line crosses b2 (x 130-170, y 30-70),
    # 5 m of whose 40 lie in G2 (12.5 %, split by the 5 % rule). Nothing moves, so the lines stay; but
    # the line bends around b2, a metre clear of it: G1 gains x 165-171, y 29-71 and nothing else.
    # (Kept as it was, the line split b2: the plan's check said building_split.)
    data = community_input([])
    bent = shapely.Polygon([(0, 0), (165, 0), (165, 100), (200, 100), (200, 200), (0, 200)])
    data.governance_geoms = {"G1": bent, "G2": data.area.difference(bent)}
    layout = propose_layout(data)
    assert grids_of(layout) == {"G1": ["b1", "b2", "t1", "t2"], "G2": ["b3", "b4", "t3", "t4"]}
    by_anchor = {layout.candidates[k].anchor: g for k, g in layout.geoms.items()}
    b2 = data.buildings.geometry[IDS.index("b2")]
    assert shapely.contains(by_anchor["G1"], b2) and not shapely.intersects(by_anchor["G2"], b2.buffer(-0.01))
    assert by_anchor["G1"].symmetric_difference(bent.union(shapely.box(165, 29, 171, 71))).area < 1e-6
    assert by_anchor["G2"].symmetric_difference(data.area.difference(by_anchor["G1"])).area < 1e-6
