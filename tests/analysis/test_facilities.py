"""Service facilities (domain.md §8.4) on the hand-drawn district of tests/coverage_scene.py, with short
reaches so that every answer is counted by eye: a community centre reaches 100 m, a grid station 50 m.

  community centre 西中心 at (300, 50), in C2: b7's point (240, 40) is 61 m away, b8's (340, 40) 41 m,
      b5 (195, 50) 105 m — so C2's 800 households are reached, none of C1's 105.
  grid station 1号站 at (25, 20), in C1: b1's point (20, 20) is 5 m away, b2's (70, 20) 45 m, the rest
      further — 70 of C1's 105 households.
  C1 holds no community centre: one no_community_centre gap, for C1.

Along a road the walk counts, not the line: with one road along y = 20 from x = 0 to 200 (through b1
and b2), b2 is still reached (45 m on the road); with the road along y = 100 instead, b2 walks
20 + 45 + 80 = 145 m, b1 85 m: both beyond 50 m.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.scene import Thresholds
from tests import coverage_scene as s

SHORT = Thresholds(reach_community_centre_m=100, reach_grid_station_m=50)


def facilities(names=("西中心", "1号站")) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["f1", "f2"],
            "name": list(names),
            "level": ["community_centre", "grid_station"],
            "floor_area": [600.0, 80.0],
            "building_id": [None, None],
        },
        geometry=s.lonlat([s.pt(300, 50), s.pt(25, 20)]),
    )


def scene(roads=None, with_facilities=True):
    sc = s.scene()
    if with_facilities:
        sc.facilities = facilities()
        sc.facility_data = True
    if roads is not None:
        sc.roads = gpd.GeoDataFrame(geometry=s.lonlat(roads))
    return sc


def fig(cov, code, key):
    m = cov.metrics(code)[key]
    return m["numerator"], m["denominator"]


def test_households_within_reach_of_each_level_straight_line():
    cov = compute_coverage(scene(), SHORT)
    assert fig(cov, s.C2, "facility_reach_rate") == (800, 800)
    assert fig(cov, s.C1, "facility_reach_rate") == (0, 105)
    assert fig(cov, s.C1, "facility_reach_rate@grid_station") == (70, 105)
    assert fig(cov, s.C2, "facility_reach_rate@grid_station") == (0, 800)
    assert fig(cov, s.DISTRICT, "facility_reach_rate") == (800, 905)
    b = cov.units.buildings.set_index("id")
    assert b.loc[["b1", "b2", "b3"], "station_reached"].tolist() == [40, 30, 0]


def test_the_default_reach_is_1000_and_500_metres():
    cov = compute_coverage(scene())  # everything in the 400 m district is within 500 m of both
    assert fig(cov, s.DISTRICT, "facility_reach_rate") == (905, 905)
    assert fig(cov, s.DISTRICT, "facility_reach_rate@grid_station") == (905, 905)


def test_a_community_without_a_centre_is_a_gap():
    gaps = compute_coverage(scene(), SHORT).gap_list(kind="no_community_centre")
    assert list(gaps["object_id"]) == [s.C1]
    row = gaps.iloc[0]
    assert row["message"] == "东社区没有社区党群服务中心。"
    c1 = s.frames()["communities"].geometry.iloc[0]
    assert shapely.within(row.geometry, c1)


def test_without_facility_data_there_is_no_figure_and_no_gap():
    cov = compute_coverage(scene(with_facilities=False), SHORT)
    assert cov.metrics(s.DISTRICT)["facility_reach_rate"]["value"] is None
    assert cov.gap_list(kind="no_community_centre").empty


@pytest.mark.parametrize(
    ("road_y", "reached"),
    [(20, [40, 30, 0]), (100, [0, 0, 0])],
    ids=["road-through-b1-b2", "road-along-the-north-edge"],
)
def test_with_roads_the_walk_along_them_counts(road_y, reached):
    road = [shapely.LineString([(s.X0, s.Y0 + road_y), (s.X0 + 200, s.Y0 + road_y)])]
    cov = compute_coverage(scene(roads=road), SHORT)
    b = cov.units.buildings.set_index("id")
    assert b.loc[["b1", "b2", "b3"], "station_reached"].tolist() == reached
    straight = compute_coverage(scene(), SHORT).units.buildings.set_index("id")
    assert straight.loc[["b1", "b2"], "station_reached"].tolist() == [40, 30]


def test_a_facility_outside_every_community_still_reaches_its_neighbours():
    sc = scene()
    sc.facilities = facilities().assign(geometry=s.lonlat([s.pt(430, 50), s.pt(25, 20)]))
    cov = compute_coverage(sc, SHORT)
    assert fig(cov, s.C2, "facility_reach_rate") == (600, 800)  # b8's point is 91 m away, b7's 190 m
    assert set(compute_coverage(sc, SHORT).gap_list(kind="no_community_centre")["object_id"]) == {s.C1, s.C2}
