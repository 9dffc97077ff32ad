"""Building-to-grid assignment (domain.md rule 5): one definition, used everywhere."""

from __future__ import annotations

import numpy as np
import shapely


def representative_points(geoms) -> np.ndarray:
    """The point that decides a building's grid: ``point_on_surface`` of its footprint.

    A building given as a point is its own representative point.

    >>> import shapely
    >>> square = shapely.box(0, 0, 2, 2)
    >>> shapely.within(representative_points([square])[0], square)
    True
    """
    geoms = np.asarray(geoms)
    points = shapely.point_on_surface(geoms)
    is_point = shapely.get_type_id(geoms) == 0
    points[is_point] = geoms[is_point]
    return points


def assign_to_polygons(points, polygons) -> np.ndarray:
    """Index of the polygon containing each point, or -1; where polygons overlap, the first wins.

    A point on a shared edge belongs to the first polygon touching it, so no building falls
    between two grids that meet exactly.

    >>> import shapely
    >>> grids = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    >>> assign_to_polygons([shapely.Point(0.5, 0.5), shapely.Point(1.5, 0.5), shapely.Point(5, 5)], grids).tolist()
    [0, 1, -1]
    """
    points = np.asarray(points)
    polygons = np.asarray(polygons)
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return out
    tree = shapely.STRtree(polygons)
    point_idx, poly_idx = tree.query(points, predicate="intersects")
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    out[point_idx[first]] = poly_idx[first]
    return out
