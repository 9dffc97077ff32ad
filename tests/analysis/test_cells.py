"""Building cells on hand-drawn houses (metres)."""

from __future__ import annotations

import numpy as np
import shapely

from gridsvc.analysis.cells import building_cells


def test_houses_sharing_a_wall_each_keep_their_whole_footprint_in_their_cell():
    # a terrace: a (x 10-20) and b (x 20-40) share the wall x = 20, c stands apart. The outline
    # points on a shared wall are one point, owned by a; before, the land just inside b next to
    # that wall (the strip x 20-22.5) fell into a's cell, so any layout putting a and b in two grids
    # split b (on the OSM extract: 13 % of a house in 320198001002)
    land = shapely.box(0, 0, 80, 20)
    houses = np.array([shapely.box(10, 5, 20, 15), shapely.box(20, 5, 40, 15), shapely.box(55, 5, 70, 15)])
    cells = building_cells(land, houses, shapely.point_on_surface(houses))
    outside = shapely.area(shapely.difference(houses, cells.geoms))
    assert (outside < 1e-9).all(), outside.round(2)
    assert abs(shapely.area(cells.geoms).sum() - land.area) < 1e-6  # still tiling the land
    assert shapely.union_all(cells.geoms).equals(land)
    assert [sorted(e) for e in cells.edges.tolist()] == [[0, 1], [1, 2]]
