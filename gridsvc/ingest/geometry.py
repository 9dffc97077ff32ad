"""Geometry on the way in: declared CRS, datum, type, validity, and a place in China.

Everything leaves here in EPSG:4490 lon/lat. WGS84 and CGCS2000 differ by centimetres and are
treated as equal (domain.md §3): EPSG:4326 input is relabelled, not shifted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gridsvc.analysis.crs import CHINA_LAT, CHINA_LON, DATUMS, datum_to_wgs84, metric_crs_for
from gridsvc.analysis.validity import EMPTY, invalid_reason, wrong_kind
from gridsvc.errors import INVALID_GEOMETRY, Problem
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
) -> tuple[np.ndarray, list[Problem], list[str]]:
    """Check and convert geometries to EPSG:4490; return them, the problems found and notes.

    Invalid polygons are problems, or with ``repair`` mended by ``make_valid``, each listed in the
    notes with what changed. Third coordinates are dropped, said in the notes.
    """
    if datum is not None and datum not in DATUMS:
        return geoms, [Problem(layer.name, None, "geometry", f"未知坐标基准 {datum!r}")], []
    if crs is None and datum is None:
        return (
            geoms,
            [
                Problem(
                    layer.name,
                    None,
                    "geometry",
                    "文件没有声明坐标系：请在文件中声明，或给出 --datum wgs84|cgcs2000|gcj02|bd09",
                )
            ],
            [],
        )
    notes = _datum_doubts(crs, datum, layer)
    geoms, flat = flattened(geoms)
    if flat:
        notes.append(f"图层 {layer.name!r}：{flat} 个要素带三维坐标，已存为二维（去掉高度）")
    problems = _check_shapes(geoms, layer, features, repair)
    if repair:
        geoms, mended = repaired(geoms, features, crs)
        notes += [f"图层 {layer.name!r}，{line}" for line in mended]
    if problems:
        return geoms, problems, notes
    lonlat = _to_lonlat(geoms, crs)
    problems = _check_in_china(lonlat, layer, features)
    if problems:
        return lonlat, problems, notes
    if datum is not None:
        lonlat = datum_to_wgs84(lonlat, datum)
    return lonlat, [], notes  # the frame carries EPSG:4490; the writer stamps the SRID into EWKB


def _datum_doubts(crs: CRS | None, datum: str | None, layer: Layer) -> list[str]:
    """A warning when ``--datum`` says GCJ-02/BD-09 but the file declares CGCS2000 or WGS84 by an
    EPSG code (a GeoJSON without a ``crs`` member declares nothing: RFC 7946 lon/lat is implied)."""
    if datum not in ("gcj02", "bd09") or crs is None:
        return []
    authority = crs.to_authority(min_confidence=90)
    if authority is None or authority[0] != "EPSG" or int(authority[1]) not in (4326, 4490):
        return []
    return [
        f"图层 {layer.name!r}：警告：文件声明为 EPSG:{authority[1]}，而 --datum {datum} 会把它移动约 500 米；"
        "如果坐标确实是 CGCS2000/WGS84，请不带 --datum 导入"
    ]


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
    if not layer.optional_geometry:  # a layer whose rows may have no place (a need without a location)
        for i in np.flatnonzero(missing | empty):
            problems.append(Problem(layer.name, features.iloc[i], "geometry", EMPTY))
    ok = ~(missing | empty)
    for i in np.flatnonzero(ok):
        kind = names[types[i]] if types[i] >= 0 else "unknown"
        if kind not in allowed:
            problems.append(Problem(layer.name, features.iloc[i], "geometry", wrong_kind(kind, allowed)))
            ok[i] = False
    if not repair:
        invalid = ok & ~shapely.is_valid(geoms)
        for i in np.flatnonzero(invalid):
            reason = invalid_reason(geoms[i])
            problems.append(Problem(layer.name, features.iloc[i], "geometry", f"几何无效：{reason}", INVALID_GEOMETRY))
    return problems


def repaired(geoms: np.ndarray, names: pd.Series, crs: CRS | None) -> tuple[np.ndarray, list[str]]:
    """Invalid polygons made valid, and one line per mended feature: why it was invalid, its parts
    before and after, and how much its area changed (m², in a metric CRS where ``crs`` has degrees)."""
    invalid = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_valid(geoms))
    if not len(invalid):
        return geoms, []
    fixed = _repair(geoms)
    before, after = geoms[invalid], fixed[invalid]
    if crs is None or crs.is_geographic:
        from pyproj import Transformer

        to_m = Transformer.from_crs(crs or 4326, metric_crs_for(after), always_xy=True).transform
        before, after = (
            shapely.transform(g, lambda xy: np.column_stack(to_m(xy[:, 0], xy[:, 1]))) for g in (before, after)
        )
    lines = []
    for k, i in enumerate(invalid):
        reason = invalid_reason(geoms[i], where=False)
        old, new = shapely.area(before[k]), shapely.area(after[k])
        change = f" ({(new - old) / old:+.1%})" if old else ""
        lines.append(
            f"要素 {names.iloc[i]}：{reason}，已修复：{shapely.get_num_geometries(geoms[i])} → "
            f"{shapely.get_num_geometries(fixed[i])} 块，面积 {old:.0f} → {new:.0f} 平方米{change}"
        )
    return fixed, lines


def flattened(geoms: np.ndarray) -> tuple[np.ndarray, int]:
    """Geometries in 2D and how many had a third coordinate (heights are not kept)."""
    has_z = shapely.has_z(geoms)
    if not has_z.any():
        return geoms, 0
    return shapely.force_2d(geoms), int(has_z.sum())


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
    inside |= shapely.is_missing(geoms) | shapely.is_empty(geoms)  # no place (an optional geometry)
    swapped = (ymin >= CHINA_LON[0]) & (ymax <= CHINA_LON[1]) & (xmin >= CHINA_LAT[0]) & (xmax <= CHINA_LAT[1])
    problems = []
    for i in np.flatnonzero(~inside):
        x, y = (xmin[i] + xmax[i]) / 2, (ymin[i] + ymax[i]) / 2
        if swapped[i]:
            reason = f"坐标 ({x:.5f}, {y:.5f}) 像是纬度和经度写反了：经度在前"
        else:
            reason = f"坐标 ({x:.5f}, {y:.5f}) 在中国境外"
        problems.append(Problem(layer.name, features.iloc[i], "geometry", reason))
    return problems
