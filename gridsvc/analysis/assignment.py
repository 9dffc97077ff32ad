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
