"""Building-to-grid assignment (domain.md rule 5): one definition, used everywhere."""

from __future__ import annotations

import numpy as np
import shapely


def representative_points(geoms) -> np.ndarray:
    """The point that decides a building's grid: ``point_on_surface`` of its footprint.

    A building given as a point is its own representative point.

    >>> import shapely
    >>> square = shapely.box(0, 0, 2, 2)
    >>> bool(shapely.within(representative_points([square])[0], square))
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


def outside_fraction(footprints, grids) -> np.ndarray:
    """Share of each footprint's area lying outside the matching grid (pairwise).

    A share of areas needs no metric CRS: over a building's extent the map from lon/lat to metres
    is affine, which keeps area ratios. Points, and buildings without a grid (``None``), get 0.

    >>> import shapely
    >>> outside_fraction([shapely.box(0, 0, 10, 10)], [shapely.box(0, 0, 8, 10)]).round(2).tolist()
    [0.2]
    """
    footprints = np.asarray(footprints, dtype=object)
    grids = np.asarray(grids, dtype=object)
    out = np.zeros(len(footprints))
    has_area = ~shapely.is_missing(grids) & (shapely.get_type_id(footprints) != 0)
    if not has_area.any():
        return out
    b, g = footprints[has_area], grids[has_area]
    shapely.prepare(g)
    inside = shapely.contains(g, b)
    fraction = np.zeros(len(b))
    cut = ~inside
    if cut.any():
        area = shapely.area(b[cut])
        kept = shapely.area(shapely.intersection(b[cut], g[cut]))
        fraction[cut] = np.where(area > 0, 1 - kept / np.where(area > 0, area, 1), 0)
    out[has_area] = np.clip(fraction, 0, 1)
    return out


def assign_buildings(
    rep_points, footprints, grid_codes, grid_geoms, split_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """Grid code (or None) of each building, and whether it is split (domain.md rule 5):
    more than ``split_fraction`` of its footprint outside that grid. All in one CRS."""
    where = assign_to_polygons(rep_points, grid_geoms)
    assigned = where >= 0
    codes = np.full(len(where), None, dtype=object)
    codes[assigned] = np.asarray(grid_codes, dtype=object)[where[assigned]]
    matched = np.full(len(where), None, dtype=object)
    matched[assigned] = np.asarray(grid_geoms, dtype=object)[where[assigned]]
    split = outside_fraction(footprints, matched) > split_fraction
    return codes, split
