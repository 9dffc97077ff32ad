"""Filling in what a building record lacks: estimated households, the representative point."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gridsvc.analysis.assignment import representative_points
from gridsvc.analysis.crs import metric_crs_for

HOUSEHOLDS_PER_FLOOR_AND_UNIT = 2
DEFAULT_FLOORS = 6
FOOTPRINT_M2_PER_UNIT = 200.0


def estimate_households(buildings: gpd.GeoDataFrame) -> pd.Series:
    """Households of a residential building that has none: floors × units × 2 (exchange format).

    Unknown floors count as 6 (a walk-up); unknown units as one per 200 m² of footprint
    (at least one), or one for a building given as a point.
    """
    floors = _numbers(buildings, "floors").fillna(DEFAULT_FLOORS)
    units = _numbers(buildings, "units")
    if units.isna().any():
        area = buildings.geometry.to_crs(metric_crs_for(buildings.geometry.values)).area
        units = units.fillna(np.maximum(1, np.round(area / FOOTPRINT_M2_PER_UNIT)))
    return (floors * units * HOUSEHOLDS_PER_FLOOR_AND_UNIT).astype("int64")


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def complete_buildings(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``households_estimated`` and ``rep_point``; estimate missing residential households."""
    out = buildings.copy()
    if "households" not in out.columns:
        out["households"] = None
    households = pd.array(out["households"], dtype="Int64")
    already = out["households_estimated"].fillna(False).astype(bool) if "households_estimated" in out else False
    needs = (out["use"] == "residential").to_numpy() & pd.isna(households)
    if needs.any():
        households[needs] = estimate_households(out.loc[needs]).to_numpy()
    out["households"] = households
    out["households_estimated"] = needs | np.asarray(already, dtype=bool)
    out["rep_point"] = representative_points(out.geometry.values.to_numpy())
    return out
