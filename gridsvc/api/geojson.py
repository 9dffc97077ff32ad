"""GeoDataFrames as RFC 7946 GeoJSON (lon/lat order), with JSON-safe properties."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import geopandas as gpd
import numpy as np
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
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    geometries = [shapely.geometry.mapping(g) if g is not None else None for g in gdf.geometry.values]
    records = gdf[columns].to_dict("records")
    features = [
        {
            "type": "Feature",
            "id": json_value(r[id_column]),
            "geometry": geom,
            "properties": {k: json_value(v) for k, v in r.items()},
        }
        for r, geom in zip(records, geometries, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features, **members}
