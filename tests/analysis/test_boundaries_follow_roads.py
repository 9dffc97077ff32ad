"""Issue 17, item 5: boundaries that follow streets (and pulled taut where they do not:
``tests/analysis/test_straighten.py``). Hand-drawn in metres: a community 100 × 50 with a road along
x = 40."""

from __future__ import annotations

import shapely

from gridsvc.analysis.cells import building_cells

LAND = shapely.box(0, 0, 100, 50)
ROAD = [shapely.LineString([(40, -10), (40, 60)])]
# two houses west of the road, one just east of it, one far east
HOUSES = [
    shapely.box(5, 20, 15, 30),
    shapely.box(20, 20, 30, 30),
    shapely.box(45, 20, 55, 30),
    shapely.box(75, 20, 95, 30),
]


def _cells(houses, roads=None):
    return building_cells(LAND, houses, shapely.point_on_surface(houses), roads)


def test_without_roads_the_cell_boundary_lies_between_the_houses():
    cells = _cells(HOUSES)
    west = shapely.union(cells.geoms[0], cells.geoms[1])
    assert abs(west.bounds[2] - 37.5) < 0.5  # halfway between x = 30 and x = 45, across the road


def test_with_a_road_the_west_houses_hold_exactly_the_land_west_of_it():
    cells = _cells(HOUSES, ROAD)
    west = shapely.union(cells.geoms[0], cells.geoms[1])
    assert shapely.symmetric_difference(west, shapely.box(0, 0, 40, 50)).area < 1e-6
    assert sum(c.area for c in cells.geoms) == LAND.area  # still a tiling: no gaps, no overlaps
    assert shapely.union_all(cells.geoms).equals(LAND)
    assert [tuple(e) for e in cells.edges] == [(0, 1), (1, 2), (2, 3)]  # neighbours across the road too


def test_a_house_across_the_road_is_never_cut():
    houses = [*HOUSES[:2], shapely.box(35, 20, 45, 30), HOUSES[3]]
    cells = _cells(houses, ROAD)
    for house, cell in zip(houses, cells.geoms, strict=True):
        assert shapely.covers(cell, house)
    assert abs(sum(c.area for c in cells.geoms) - LAND.area) < 1e-6


def test_a_block_without_houses_joins_one_neighbour_whole():
    roads = [*ROAD, shapely.LineString([(60, -10), (60, 60)])]
    houses = [HOUSES[0], HOUSES[3]]  # one west of x = 40, one east of x = 60; the middle block is empty
    cells = _cells(houses, roads)
    middle = shapely.box(40, 0, 60, 50)
    holders = [i for i, c in enumerate(cells.geoms) if c.intersection(middle).area > 1e-6]
    assert len(holders) == 1 and shapely.covers(cells.geoms[holders[0]], middle)
    assert abs(sum(c.area for c in cells.geoms) - LAND.area) < 1e-6
