"""Geometry on the way in: declared CRS, datum, type, validity, and a place in China.

Everything leaves here in EPSG:4490 lon/lat. WGS84 and CGCS2000 differ by centimetres and are
treated as equal (domain.md §3): EPSG:4326 input is relabelled, not shifted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gridsvc.analysis.crs import CHINA_LAT, CHINA_LON, DATUMS, datum_to_wgs84
from gridsvc.errors import Problem
from gridsvc.ingest.schema import Layer

_GEOGRAPHIC_EQUIVALENTS = {4326, 4490, 4610, 4214}  # WGS84, CGCS2000, Xian80, Beijing54 lon/lat


def to_storage(
    geoms: np.ndarray,
    crs: CRS | None,
    layer: Layer,
    features: pd.Series,
    datum: str | None,
    *,
    repair: bool = False,
) -> tuple[np.ndarray, list[Problem]]:
    """Check and convert geometries to EPSG:4490; return them and the problems found.

    With ``repair`` (building footprints from OSM and other third-party files) invalid
    polygons are mended with ``make_valid`` instead of being rejected.
    """
    if datum is not None and datum not in DATUMS:
        return geoms, [Problem(layer.name, None, "geometry", f"unknown datum {datum!r}")]
    if crs is None and datum is None:
        return geoms, [
            Problem(
                layer.name,
                None,
                "geometry",
                "no CRS declared; declare one in the file or pass --datum wgs84|cgcs2000|gcj02|bd09",
            )
        ]
    problems = _check_shapes(geoms, layer, features, repair)
    if repair:
        geoms = _repair(geoms)
    if problems:
        return geoms, problems
    lonlat = _to_lonlat(geoms, crs)
    problems = _check_in_china(lonlat, layer, features)
    if problems:
        return lonlat, problems
    if datum is not None:
        lonlat = datum_to_wgs84(lonlat, datum)
    return lonlat, []  # the frame carries EPSG:4490; the writer stamps the SRID into EWKB


def _check_shapes(geoms: np.ndarray, layer: Layer, features: pd.Series, repair: bool) -> list[Problem]:
    problems: list[Problem] = []
    allowed = layer.geometry or ()
    types = shapely.get_type_id(geoms)
    names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ]
    )
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    for i in np.flatnonzero(missing | empty):
        problems.append(Problem(layer.name, features.iloc[i], "geometry", "geometry is empty"))
    ok = ~(missing | empty)
    for i in np.flatnonzero(ok):
        kind = names[types[i]] if types[i] >= 0 else "unknown"
        if kind not in allowed:
            problems.append(
                Problem(layer.name, features.iloc[i], "geometry", f"{kind} where {' or '.join(allowed)} is expected")
            )
            ok[i] = False
    if not repair:
        invalid = ok & ~shapely.is_valid(geoms)
        for i in np.flatnonzero(invalid):
            reason = shapely.is_valid_reason(geoms[i])
            problems.append(Problem(layer.name, features.iloc[i], "geometry", f"invalid geometry: {reason}"))
    return problems


def _repair(geoms: np.ndarray) -> np.ndarray:
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        # make_valid may return a collection; keep its polygonal part.
        fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        geoms = geoms.copy()
        geoms[invalid] = fixed
    return geoms


def _polygonal_part(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom


def _to_lonlat(geoms: np.ndarray, crs: CRS | None) -> np.ndarray:
    if crs is None or crs.to_epsg() in _GEOGRAPHIC_EQUIVALENTS:
        return geoms
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _check_in_china(geoms: np.ndarray, layer: Layer, features: pd.Series) -> list[Problem]:
    bounds = shapely.bounds(geoms)
    xmin, ymin, xmax, ymax = bounds.T
    inside = (xmin >= CHINA_LON[0]) & (xmax <= CHINA_LON[1]) & (ymin >= CHINA_LAT[0]) & (ymax <= CHINA_LAT[1])
    swapped = (ymin >= CHINA_LON[0]) & (ymax <= CHINA_LON[1]) & (xmin >= CHINA_LAT[0]) & (xmax <= CHINA_LAT[1])
    problems = []
    for i in np.flatnonzero(~inside):
        x, y = (xmin[i] + xmax[i]) / 2, (ymin[i] + ymax[i]) / 2
        if swapped[i]:
            reason = f"coordinates ({x:.5f}, {y:.5f}) look like lat/lon swapped; lon comes first"
        else:
            reason = f"coordinates ({x:.5f}, {y:.5f}) lie outside China"
        problems.append(Problem(layer.name, features.iloc[i], "geometry", reason))
    return problems
