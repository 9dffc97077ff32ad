"""Where a ledger row is (台账, issue 14): the stored footprint of a known id, else its 经度/纬度, else
(organizations) its building's point — with what was guessed or doubted said in the notes."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gridsvc.analysis.assignment import representative_points
from gridsvc.dataset import Dataset
from gridsvc.errors import Problem
from gridsvc.ingest import ReadOptions
from gridsvc.ingest.geometry import to_storage
from gridsvc.ingest.ledger_sheets import LOCATION_HEADER, filled
from gridsvc.ingest.schema import LAYER_BY_NAME

FAR_M = 100.0  # a ledger location this far from the stored footprint is said


def place_rows(typed, data, read, options: ReadOptions, dataset: Dataset):
    """Geometry: the stored footprint of a known id, else a point at 经度/纬度 (``options.datum``),
    else (organizations) its building's representative point."""
    geoms = np.full(len(typed), None, dtype=object)
    known = typed.attrs.get("stored_geometry")
    if known is not None and len(known):
        geoms[typed.index.get_indexer(known.index)] = known.to_numpy()
    problems: list[Problem] = []
    lonlat = lonlat_points(data, read, problems)
    fresh = pd.isna(geoms) & pd.notna(lonlat)
    if fresh.any():
        named = dataclasses.replace(LAYER_BY_NAME[read.sheet.kind], name=read.name, geometry=("Point",))
        points, found, said = to_storage(lonlat[fresh], CRS.from_epsg(4326), named, read.rows[fresh], options.datum)
        geoms[fresh], problems = points, problems + found
        dataset.notes.extend(said)
    _say_far(geoms, lonlat, read, dataset.notes)
    if read.sheet.kind == "organizations" and "building_id" in typed:
        geoms = _at_buildings(geoms, typed["building_id"], dataset)
    for i in np.flatnonzero(pd.isna(geoms)):
        problems.append(
            Problem(read.name, read.rows.iloc[i], LOCATION_HEADER, "没有位置：请填写经度和纬度，或已入库的编号")
        )
    return gpd.GeoDataFrame(typed, geometry=gpd.GeoSeries(geoms, index=typed.index, crs=4490)), problems


def lonlat_points(data: pd.DataFrame, read, problems: list[Problem]) -> np.ndarray:
    out = np.full(len(data), None, dtype=object)
    if "lon" not in data or "lat" not in data:
        return out
    for k, (lon, lat) in enumerate(zip(data["lon"], data["lat"], strict=True)):
        if not filled(lon) and not filled(lat):
            continue
        try:
            out[k] = shapely.Point(float(lon), float(lat))
        except (TypeError, ValueError):
            problems.append(Problem(read.name, read.rows.iloc[k], LOCATION_HEADER, f"{lon!r}, {lat!r} 不是一对经纬度"))
    return out


def _say_far(geoms: np.ndarray, lonlat: np.ndarray, read, notes: list[str]) -> None:
    both = pd.notna(geoms) & pd.notna(lonlat)
    if not both.any():
        return
    stored = shapely.get_coordinates(representative_points(geoms[both]))
    given = shapely.get_coordinates(np.asarray(lonlat[both], dtype=object))
    east = (given[:, 0] - stored[:, 0]) * 111_320 * np.cos(np.radians(stored[:, 1]))
    far = np.hypot(east, (given[:, 1] - stored[:, 1]) * 110_540) > FAR_M
    if far.any():
        notes.append(
            f"工作表 {read.name!r}：{int(far.sum())} 行的经度/纬度离已入库轮廓超过 {FAR_M:.0f} 米；保留已入库的轮廓"
        )


def _at_buildings(geoms: np.ndarray, building_ids: pd.Series, dataset: Dataset) -> np.ndarray:
    buildings = dataset.get("buildings")
    if buildings is None:
        return geoms
    points = dict(zip(buildings["id"], representative_points(buildings.geometry.values.to_numpy()), strict=True))
    for k, bid in enumerate(building_ids):
        if pd.isna(geoms[k]) and bid in points:
            geoms[k] = points[bid]
    return geoms
