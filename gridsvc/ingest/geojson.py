"""GeoJSON a user brings (a plan's grids, in a file or a request body), read by Python rather than
GDAL: a ``crs`` member may name a CRS, never point to one, so nothing in the file can make the
server reach the network. Problems are named by their place in the document."""

from __future__ import annotations

import re

import geopandas as gpd
import pyproj
import shapely

from gridsvc.errors import InvalidInput

# The CRS a GeoJSON "crs" member (old GeoJSON, 2008) may name: CRS84 or an EPSG code, looked up in
# PROJ's local database. Links and URLs are refused: following them would be network access.
_CRS84 = re.compile(r"^urn:ogc:def:crs:OGC:(1\.3)?:CRS84$", re.IGNORECASE)
_EPSG = re.compile(r"^(?:EPSG:|urn:ogc:def:crs:EPSG:[\d.]*:)(\d{4,6})$", re.IGNORECASE)


def _geojson_crs(crs, source: str, where: str) -> int:
    """The EPSG code a GeoJSON ``crs`` member names (none: RFC 7946 lon/lat, 4326)."""
    if crs is None:
        return 4326
    named = (
        crs.get("properties", {}).get("name")
        if isinstance(crs, dict) and crs.get("type") == "name" and isinstance(crs.get("properties"), dict)
        else None
    )
    if isinstance(named, str) and _CRS84.match(named):
        return 4326
    code = _EPSG.match(named) if isinstance(named, str) else None
    if code is None:
        raise InvalidInput(
            f"{source}：{where}crs：只接受以 EPSG 编码或 CRS84 命名的坐标系（链接、URL 等引用一律不跟随）"
        )
    try:
        pyproj.CRS.from_epsg(int(code.group(1)))
    except pyproj.exceptions.CRSError:
        raise InvalidInput(f"{source}：{where}crs：EPSG:{code.group(1)} 不是已知坐标系") from None
    return int(code.group(1))


def frame_from_geojson(data, source: str, where: str = "") -> gpd.GeoDataFrame:
    """Grid polygons from a GeoJSON FeatureCollection (already parsed), in the CRS it names. Each
    problem is named by its place in the document (``grids.features[3].geometry``)."""
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise InvalidInput(f"{source}：{where or '文件'}不是 GeoJSON FeatureCollection（含 features 列表的对象）")
    crs = _geojson_crs(data.get("crs"), source, where)
    geometries, properties = [], []
    for i, feature in enumerate(data["features"]):
        place = f"{where}features[{i}]"
        if not isinstance(feature, dict):
            raise InvalidInput(f"{source}：{place} 不是 GeoJSON Feature 对象")
        props = feature.get("properties")
        if props is not None and not isinstance(props, dict):
            raise InvalidInput(f"{source}：{place}.properties 应是对象或 null")
        try:
            geometry = shapely.geometry.shape(feature["geometry"])
        except Exception as exc:  # noqa: BLE001 - shapely says why in its own words
            reason = "缺失" if feature.get("geometry") is None else f"不是 GeoJSON 几何（{exc}）"
            raise InvalidInput(f"{source}：{place}.geometry：{reason}") from None
        geometries.append(geometry)
        properties.append(props or {})
    return gpd.GeoDataFrame(properties, geometry=geometries, crs=crs)
