"""Datums and metric CRSs (domain.md §3)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from gridsvc.analysis.crs import (
    bd09_to_gcj02,
    datum_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    metric_epsg,
    wgs84_to_datum,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (118.79, 32.05, 4549),  # Nanjing: CM 120°E
        (116.40, 39.90, 4548),  # Beijing: CM 117°E
        (121.47, 31.23, 4549),  # Shanghai
        (113.26, 23.13, 4547),  # Guangzhou: CM 114°E
        (2.35, 48.85, 32631),  # Paris: UTM 31N
    ],
)
def test_metric_epsg(lon, lat, epsg):
    assert metric_epsg(lon, lat) == epsg


def test_gcj02_shift_is_hundreds_of_metres_and_inverts_below_half_a_metre():
    lon = np.array([118.78, 116.39, 113.26, 87.6])
    lat = np.array([32.04, 39.91, 23.13, 43.8])
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift = [metres(*a) for a in zip(lon, lat, glon, glat, strict=True)]
    assert all(100 < s < 700 for s in shift)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    back = [metres(*a) for a in zip(lon, lat, wlon, wlat, strict=True)]
    assert max(back) < 0.5


def test_gcj02_leaves_points_outside_china():
    glon, glat = wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))
    assert (glon[0], glat[0]) == (2.35, 48.85)


def test_bd09_round_trip():
    lon, lat = np.array([118.78]), np.array([32.04])
    blon, blat = gcj02_to_bd09(lon, lat)
    assert metres(lon[0], lat[0], blon[0], blat[0]) > 100
    glon, glat = bd09_to_gcj02(blon, blat)
    assert metres(lon[0], lat[0], glon[0], glat[0]) < 0.5


def test_geometry_datum_round_trip():
    square = shapely.box(118.78, 32.04, 118.781, 32.041)
    for datum in ("gcj02", "bd09"):
        there = wgs84_to_datum([square], datum)[0]
        back = datum_to_wgs84([there], datum)[0]
        assert shapely.hausdorff_distance(square, back) < 0.5 / 111_000
    assert wgs84_to_datum([square], "cgcs2000")[0] is square
