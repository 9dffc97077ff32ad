"""Plan validation and tidying on hand-drawn grids (metres). Community C is 300×100 m:

A 0..100 | B 95..180 (overlaps A by 5 m) | gap 180..200 | D 200..250 + 260..310 (two parts,
10 m outside C) | E a bow-tie | F a box with another community's code | A again (duplicate)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.assignment import representative_points
from gridsvc.analysis.plans import PLAN_RULES, blocking, tidy_layer, validate_plan
from gridsvc.analysis.scene import Thresholds

C = "329902001001"
COMMUNITY = gpd.GeoDataFrame({"code": [C]}, geometry=[shapely.box(0, 0, 300, 100)], crs=4549)


def buildings(rows):
    b = gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "community": C, "households": [r[2] for r in rows]},
        geometry=[r[1] for r in rows],
        crs=4549,
    )
    b["rep_point"] = representative_points(b.geometry.values)
    return b


def plan(rows):
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "community_code": C}, geometry=[r[1] for r in rows], crs=4549
    )


def test_every_rule_is_caught():
    grids = plan(
        [
            (C + "001", shapely.box(0, 0, 100, 100)),
            (C + "002", shapely.box(95, 0, 180, 100)),
            (C + "003", shapely.MultiPolygon([shapely.box(200, 0, 250, 100), shapely.box(260, 0, 310, 100)])),
            (C + "004", shapely.Polygon([(250, 0), (260, 100), (250, 100), (260, 0)])),
            ("329902001002001", shapely.box(0, 0, 5, 5)),
            (C + "001", shapely.box(0, 0, 1, 1)),
        ]
    )
    b = buildings(
        [
            ("bA", shapely.box(10, 10, 30, 30), 400),
            ("bSplit", shapely.box(85, 40, 105, 60), 10),
            ("bEdge", shapely.box(40, 85, 60, 110), 10),  # 10 of its 25 m beyond the community's edge
            ("bGap", shapely.box(184, 40, 196, 60), 10),
            ("bB", shapely.box(120, 10, 140, 30), 50),
        ]
    )
    problems = validate_plan(COMMUNITY, grids, b, {"grp": ["bA", "bB"]}, Thresholds(), {C + "004"})
    found = {(p["rule"], p["grid"]) for p in problems}
    assert {
        ("grid_overlap", C + "001"),
        ("not_contiguous", C + "003"),
        ("invalid_polygon", C + "004"),
        ("grid_outside_community", C + "003"),
        ("bad_grid_code", "329902001002001"),
        ("duplicate_code", C + "001"),
        ("code_in_use", C + "004"),
        ("households_out_of_band", C + "002"),
        ("party_group_split", C + "001"),
    } <= found
    gaps = [p for p in problems if p["rule"] == "grid_gap_area"]
    assert sum(p["value"] for p in gaps) >= 20 * 100  # 180..200 at least
    assert ("bGap",) == tuple(p["other"] for p in problems if p["rule"] == "buildings_unassigned")
    assert [p["other"] for p in problems if p["rule"] == "building_split"] == ["bSplit"]
    # a building the community's own outline cuts: no plan can make it whole, and the check says so
    edge = [(p["other"], p["value"]) for p in problems if p["rule"] == "building_across_community"]
    assert edge == [("bEdge", 40.0)]
    # why a grid is not a valid polygon, in Chinese (GEOS says "Self-intersection[255 50]")
    assert [p["other"] for p in problems if p["rule"] == "invalid_polygon"] == ["自相交（255, 50 处）"]
    assert {p["rule"] for p in problems} == set(PLAN_RULES)
    assert {p["rule"] for p in blocking(problems)} == {r for r, (sev, _) in PLAN_RULES.items() if sev == "error"}


def test_a_grid_drawn_as_a_line_or_empty_is_told_why_not_as_valid_geometry():
    grids = plan(
        [
            (C + "001", shapely.box(0, 0, 150, 100)),
            (C + "002", shapely.LineString([(150, 0), (300, 100)])),
            (C + "003", shapely.Polygon()),
        ]
    )
    problems = validate_plan(COMMUNITY, grids, buildings([]), {}, Thresholds(), set())
    said = {p["grid"]: p["other"] for p in problems if p["rule"] == "invalid_polygon"}
    assert said == {C + "002": "是 LineString，应为 Polygon 或 MultiPolygon", C + "003": "几何为空"}


def test_a_clean_plan_has_no_problems():
    grids = plan([(C + "001", shapely.box(0, 0, 150, 100)), (C + "002", shapely.box(150, 0, 300, 100))])
    b = buildings([("b1", shapely.box(10, 10, 30, 30), 400), ("b2", shapely.box(200, 10, 230, 30), 350)])
    assert validate_plan(COMMUNITY, grids, b, {}, Thresholds(), set()) == []


def test_tidy_layer_fills_gaps_clips_and_removes_overlaps():
    community = shapely.box(0, 0, 300, 100)
    grids = [shapely.box(0, 0, 120, 100), shapely.box(100, 0, 190, 100), shapely.box(200, 0, 320, 100)]
    a, b, c = tidy_layer(community, grids)
    assert a.area == 120 * 100  # first grid keeps the overlap
    assert (b.area, c.area) == (80 * 100, 100 * 100)  # the 190..200 gap borders B and C alike: the first takes it
    assert shapely.union_all([a, b, c]).equals(community)
    assert pd.Series([a.intersection(b).area, b.intersection(c).area, a.intersection(c).area]).max() == 0


def test_tidy_layer_keeps_grids_inside_a_community_whose_vertices_are_off_the_snapping_grid():
    """Seen on the real OSM district: snapping to ~1 cm (1e-7°) moved a community's edge vertices,
    so adopted grids stuck out of it by 1–2.75 m² along a kilometre of boundary, over the 1 m²
    allowed (grid_outside_community), and no plan of that community could be applied."""
    rng = np.random.default_rng(7)
    ring = [(118.78 + 0.01 * np.cos(t), 32.04 + 0.008 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 400)[:-1]]
    community = shapely.Polygon(np.array(ring) + rng.uniform(-3e-8, 3e-8, (399, 2)))  # off a 1e-7° grid
    west, east = shapely.box(118.76, 32.0, 118.78, 32.1), shapely.box(118.78, 32.0, 118.80, 32.1)
    grids = tidy_layer(community, [west, east], 1e-7)
    outside = [shapely.area(shapely.difference(g, community)) for g in grids]
    assert max(outside) < 1e-11  # about 0.1 m²; snapping alone left 2.7e-10 (~3 m²)
    assert abs(sum(shapely.area(grids)) - community.area) < 1e-11 and all(shapely.is_valid(grids))
