"""Building-to-grid assignment (domain.md rule 5) on hand-drawn shapes."""

from __future__ import annotations

import shapely

from gridsvc.analysis.assignment import assign_to_polygons, representative_points


def test_representative_point_lies_inside_a_concave_footprint():
    # an L-shaped building whose centroid falls outside it
    ell = shapely.Polygon([(0, 0), (10, 0), (10, 2), (2, 2), (2, 10), (0, 10)])
    assert not ell.contains(ell.centroid)
    assert ell.contains(representative_points([ell])[0])


def test_points_are_their_own_representative():
    p = shapely.Point(3, 4)
    assert representative_points([p])[0].equals(p)


def test_assignment_by_containing_grid_first_wins_on_overlap():
    grids = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(5, 0, 15, 10)]
    points = [
        shapely.Point(2, 2),
        shapely.Point(12, 2),
        shapely.Point(7, 5),
        shapely.Point(50, 50),
        shapely.Point(10, 5),
    ]
    assert assign_to_polygons(points, grids).tolist() == [0, 1, 0, -1, 0]
