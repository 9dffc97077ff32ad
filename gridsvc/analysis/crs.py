"""Coordinate reference systems and Chinese datums (domain.md §3).

Storage is EPSG:4490 (CGCS2000 geographic). Metric work uses the CGCS2000 3-degree
Gauss-Krüger zone of the data (EPSG:4534–4554), or UTM outside China. GCJ-02 (AMap, Tencent)
and BD-09 (Baidu) coordinates are converted with the public formulas.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import CRS

STORAGE_EPSG = 4490
DATUMS = ("wgs84", "cgcs2000", "gcj02", "bd09")

# China's bounding box, used both to decide where GCJ-02 applies and to sanity-check inputs.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def metric_epsg(lon: float, lat: float) -> int:
    """EPSG code of the metric CRS for data centred at ``lon``, ``lat``.

    >>> metric_epsg(118.79, 32.05)   # Nanjing: 3-degree zone with central meridian 120°E
    4549
    """
    if CHINA_LON[0] <= lon <= CHINA_LON[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]:
        central = 3 * round(lon / 3)
        central = min(max(central, 75), 135)
        return 4534 + (central - 75) // 3
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def metric_crs_for(geoms) -> CRS:
    """The metric CRS for a GeoSeries/array of EPSG:4490 geometries (by the centre of their extent)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.asarray(geoms))
    return CRS.from_epsg(metric_epsg((xmin + xmax) / 2, (ymin + ymax) / 2))


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1]) & (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1])


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon, lat):
    """Shift WGS84 lon/lat to GCJ-02; points outside China are returned unchanged."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, tolerance_deg: float = 1e-7, max_iter: int = 20):
    """Invert :func:`wgs84_to_gcj02` iteratively (1e-7° ≈ 1 cm, well under the 0.5 m asked)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(max_iter):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if np.all(np.abs(dlon) < tolerance_deg) and np.all(np.abs(dlat) < tolerance_deg):
            break
    return wlon, wlat


def bd09_to_gcj02(lon, lat):
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon, lat):
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _apply_xy(geoms: np.ndarray, func) -> np.ndarray:
    def transform(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, transform)


def _bd09_to_wgs84(lon, lat):
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _wgs84_to_bd09(lon, lat):
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


# datum -> (to WGS84, from WGS84); WGS84 and CGCS2000 are treated as equal (centimetres apart).
_CONVERSIONS = {"gcj02": (gcj02_to_wgs84, wgs84_to_gcj02), "bd09": (_bd09_to_wgs84, _wgs84_to_bd09)}


def _convert(geoms, datum: str, direction: int) -> np.ndarray:
    geoms = np.asarray(geoms)
    if datum in ("wgs84", "cgcs2000"):
        return geoms
    if datum not in _CONVERSIONS:
        raise ValueError(f"unknown datum {datum!r}; expected one of {', '.join(DATUMS)}")
    return _apply_xy(geoms, _CONVERSIONS[datum][direction])


def datum_to_wgs84(geoms, datum: str) -> np.ndarray:
    """Geometries in lon/lat of ``datum`` as WGS84/CGCS2000 lon/lat."""
    return _convert(geoms, datum, 0)


def wgs84_to_datum(geoms, datum: str) -> np.ndarray:
    """The inverse of :func:`datum_to_wgs84`: e.g. to draw on AMap (GCJ-02) base maps."""
    return _convert(geoms, datum, 1)
