"""Issue 17, item 5: boundaries that follow streets, and smoothed where they do not. Hand-drawn in
metres: a community 100 × 50 with a road along x = 40."""

from __future__ import annotations

import numpy as np
import shapely

from gridsvc.analysis.boundaries import smooth
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


def _staircase(steps: int = 10) -> tuple[shapely.Geometry, shapely.Geometry]:
    """Two grids meeting along a staircase of 1 m steps from (50, 0) up to (50 + steps, 50)."""
    line = [(50.0, 0.0)]
    for k in range(steps):
        y1 = 50 * (k + 1) / steps
        line += [(50 + k, y1), (50 + k + 1, y1)] if k < steps - 1 else [(50 + k, y1)]
    west = shapely.Polygon([(0, 0), *line, (0, 50)])
    return west, shapely.difference(LAND, west)


def test_smoothing_takes_out_the_stairs_and_keeps_the_outline():
    west, east = _staircase()
    houses = np.array([shapely.box(5, 20, 15, 30), shapely.box(80, 20, 95, 30)], dtype=object)
    out = smooth({0: west, 1: east}, houses, np.array([0, 1]), houses)
    assert shapely.get_num_coordinates(out[0]) < shapely.get_num_coordinates(west) / 2
    assert abs(out[0].area + out[1].area - LAND.area) < 1e-6  # the shared line moved for both alike
    assert shapely.union(out[0], out[1]).normalize().equals(LAND.normalize())  # the outer edge kept
    assert out[0].intersection(out[1]).area < 1e-9


def test_smoothing_never_cuts_a_house_on_the_stairs():
    west, east = _staircase()
    # a house tucked into a step of the west grid: taking the stair out would cut it
    tucked = shapely.box(50.05, 45.05, 58.95, 49.95)
    assert shapely.covers(west, tucked)
    houses = np.array([tucked, shapely.box(80, 20, 95, 30)], dtype=object)
    out = smooth({0: west, 1: east}, houses, np.array([0, 1]), houses)
    assert shapely.covers(out[0].buffer(1e-6), tucked)
