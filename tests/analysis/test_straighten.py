"""Redrawn boundaries pulled taut around the houses (gridsvc.analysis.straighten). Hand-drawn in
metres: a community 100 × 50 cut by a staircase of 1 m steps from (50, 0) up to (59, 50)."""

from __future__ import annotations

import numpy as np
import shapely

from gridsvc.analysis.straighten import MARGIN_M, pulled_taut

LAND = shapely.box(0, 0, 100, 50)
FAR = [shapely.box(5, 20, 15, 30), shapely.box(80, 20, 95, 30)]  # one house deep in each grid


def _staircase(steps: int = 10, start: tuple[float, float] = (50.0, 0.0)) -> tuple[shapely.Geometry, ...]:
    x0, y0 = start
    line = [(x0, 0.0)] if y0 else []
    line += [(x0, y0)]
    for k in range(steps):
        y1 = y0 + (50 - y0) * (k + 1) / steps
        line += [(x0 + k, y1), (x0 + k + 1, y1)] if k < steps - 1 else [(x0 + k, y1)]
    west = shapely.Polygon([(0, 0), *line, (0, 50)])
    return west, shapely.difference(LAND, west)


def _shared(out) -> shapely.Geometry:
    return shapely.intersection(out[0].boundary, out[1].boundary)


def test_the_stairs_come_out_and_the_outline_stays():
    west, east = _staircase()
    out = pulled_taut({0: west, 1: east}, LAND.boundary, FAR)
    assert shapely.get_num_coordinates(out[0]) < shapely.get_num_coordinates(west) / 2
    assert _shared(out).length < 51  # a straight line from (50, 0) to (59, 50) is 50.8 m; the stairs 59
    assert abs(out[0].area + out[1].area - LAND.area) < 1e-6  # the shared line moved for both alike
    assert shapely.union(out[0], out[1]).normalize().equals(LAND.normalize())  # the outer edge kept
    assert out[0].intersection(out[1]).area < 1e-9


def test_a_house_tucked_into_a_step_stays_whole_and_a_margin_clear():
    west, east = _staircase()
    tucked = shapely.box(50.05, 45.05, 58.95, 49.95)  # in the west grid's top step
    assert shapely.covers(west, tucked)
    out = pulled_taut({0: west, 1: east}, LAND.boundary, [tucked, *FAR])
    assert shapely.covers(out[0].buffer(1e-6), tucked)
    redrawn = shapely.difference(_shared(out), shapely.buffer(west.boundary, 0.01))  # the new line
    assert redrawn.is_empty or shapely.distance(redrawn, tucked) >= MARGIN_M - 1e-6
    assert _shared(out).length < 59  # still straighter below the house


def test_a_house_in_a_notch_keeps_its_grid():
    west = shapely.difference(shapely.box(0, 0, 50, 50), shapely.box(30, 20, 50, 30))  # the east reaches in
    east = shapely.difference(LAND, west)
    notch = shapely.box(35, 22, 45, 28)  # an east house there: a straight line at x = 50 would flip it
    out = pulled_taut({0: west, 1: east}, LAND.boundary, [notch, *FAR])
    assert shapely.covers(out[1].buffer(1e-6), notch) and out[0].intersection(notch).area < 1e-9
    empty = pulled_taut({0: west, 1: east}, LAND.boundary, FAR)  # without it, the notch is cut off
    assert shapely.symmetric_difference(empty[0], shapely.box(0, 0, 50, 50)).area < 1e-6


def test_a_line_along_a_road_stays_on_the_road():
    west, east = _staircase(start=(50.0, 25.0))  # straight up x = 50 to y = 25, then the stairs
    road = shapely.LineString([(50, -10), (50, 25)])
    free = pulled_taut({0: west, 1: east}, LAND.boundary, FAR)
    kept = pulled_taut({0: west, 1: east}, LAND.boundary, FAR, roads=[road])
    along = shapely.intersection(road, LAND)
    assert not shapely.covers(shapely.buffer(_shared(free), 0.01), along)  # cut diagonally without it
    assert shapely.covers(shapely.buffer(_shared(kept), 0.01), along)  # kept on the road with it
    assert _shared(kept).length < 35 + 25 * np.hypot(1, 9 / 25) * 1.05  # and the stairs still come out


def test_live_lines_are_kept_exactly():
    west, east = _staircase()
    live = shapely.union(LAND.boundary, west.boundary)  # the stairs are today's line: nothing to redraw
    out = pulled_taut({0: west, 1: east}, live, FAR)
    assert out[0].equals(west) and out[1].equals(east)


def test_a_house_over_the_communitys_edge_does_not_stop_the_pulling():
    # real footprints reach over a community's edge (seen on the OSM demo): such a house is no more
    # outside its grid than before, and the stairs still come out
    west, east = _staircase()
    over = shapely.box(-5, 20, 10, 30)
    out = pulled_taut({0: west, 1: east}, LAND.boundary, [over, FAR[1]])
    assert shapely.get_num_coordinates(out[0]) < shapely.get_num_coordinates(west) / 2
