"""GeoDataFrames as RFC 7946 GeoJSON (lon/lat order), with JSON-safe properties."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely


def json_value(value: Any) -> Any:
    """A cell as JSON: NaN/NA → null, dates → ISO text, numpy scalars → Python, whole floats → ints
    (an integer column holding a blank arrives as floats).

    >>> json_value(6.0), json_value(float("nan")), json_value(2.5)
    (6, None, 2.5)
    """
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return int(value) if float(value).is_integer() else float(value)  # a count that met a NaN
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str | list | dict) and pd.isna(value):
        return None
    return value


def feature_collection(gdf: gpd.GeoDataFrame, id_column: str, **members: Any) -> dict:
    """The frame as a FeatureCollection: geometries written by GEOS in one call and read back by
    orjson (full precision, as ``mapping`` gives them), properties converted a column at a time
    (:func:`json_value`'s rules); ``members`` added beside ``features``.

    >>> frame = gpd.GeoDataFrame({"id": ["a", "b"], "n": [1.0, None], "d": [dt.date(2024, 5, 1), None]},
    ...                          geometry=[shapely.Point(118.5, 32.25), None], crs=4490)
    >>> feature_collection(frame, "id", name="x")["features"][0]
    {'type': 'Feature', 'id': 'a', 'geometry': {'type': 'Point', 'coordinates': [118.5, 32.25]}, 'properties': {'id': 'a', 'n': 1, 'd': '2024-05-01'}}
    >>> feature_collection(frame, "id")["features"][1]["properties"], feature_collection(frame, "id")["features"][1]["geometry"]
    ({'id': 'b', 'n': None, 'd': None}, None)
    """
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    written = shapely.to_geojson(np.asarray(gdf.geometry.values, dtype=object)).tolist() if len(gdf) else []
    geometries = [None if text is None else orjson.loads(text) for text in written]
    values = [_json_column(gdf[c]) for c in columns]
    ids = values[columns.index(id_column)]
    features = [
        {"type": "Feature", "id": i, "geometry": geom, "properties": dict(zip(columns, row, strict=True))}
        for i, geom, row in zip(ids, geometries, zip(*values, strict=True), strict=True)
    ]
    return {"type": "FeatureCollection", "features": features, **members}


def _json_column(column: pd.Series) -> list:
    """:func:`json_value` of every cell of a column: numbers by dtype at once, anything else cell by cell."""
    if pd.api.types.is_bool_dtype(column.dtype) and not column.hasnans:
        return column.to_numpy(dtype=bool).tolist()
    if pd.api.types.is_integer_dtype(column.dtype) and not column.hasnans:
        return column.to_numpy(dtype=np.int64).tolist()
    if pd.api.types.is_float_dtype(column.dtype):
        x = column.to_numpy(dtype=float)
        out = np.array(x.tolist(), dtype=object)
        whole = np.isfinite(x) & (x == np.floor(np.where(np.isfinite(x), x, 0)))
        small = whole & (np.abs(x) < 2.0**63)
        out[small] = x[small].astype(np.int64).tolist()
        out[whole & ~small] = [int(v) for v in x[whole & ~small].tolist()]  # 1e20 is a whole number, no int64
        out[np.isnan(x)] = None
        return out.tolist()
    return [json_value(v) for v in column.tolist()]
