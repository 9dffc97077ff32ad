"""A small hand-drawn district, in metres from a corner near Nanjing, written as an exchange GeoPackage.

    y
  200 +-------------------+-------------------+
      |  P2 (…003 north)  |                   |
      |     b6            |   U1 (unified)    |
  100 +---------+---------+    b4   o2        |
      |  G1     |  G2     |                   |
      |  b1  b5 |   b2    |  b3• o1           |
    0 +---------+---------+-------------------+
      0        100       200                 400  x
      community …001001   community …001002

G1/G2 are the governance grids of community 1, P1/P2 (south/north halves) its Party grids.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

ORIGIN = (118.78, 32.04)
DISTRICT, STREET = "329901", "329901001"
C1, C2 = "329901001001", "329901001002"


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of ORIGIN as lon/lat (good to a few cm over this small scene)."""
    return ORIGIN[0] + x / 94_400.0, ORIGIN[1] + y / 110_900.0


def box(x0, y0, x1, y1) -> shapely.Polygon:
    return shapely.Polygon([lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1)])


def point(x, y) -> shapely.Point:
    return shapely.Point(*lonlat(x, y))


def layers() -> dict[str, pd.DataFrame]:
    communities = gpd.GeoDataFrame(
        {
            "code": [C1, C2],
            "name": ["一社区", "二社区"],
            "street_code": [STREET] * 2,
            "street_name": ["甲街道"] * 2,
            "district_code": [DISTRICT] * 2,
            "district_name": ["测试区"] * 2,
        },
        geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)],
        crs=4326,
    )
    grids = gpd.GeoDataFrame(
        {
            "code": [C1 + "001", C1 + "002", C1 + "003", C1 + "004", C2 + "001"],
            "layer": ["governance", "governance", "party", "party", "unified"],
            "community_code": [C1, C1, C1, C1, C2],
            "name": ["G1", "G2", "P1", "P2", "U1"],
        },
        geometry=[
            box(0, 0, 100, 100),
            box(100, 0, 200, 100),
            box(0, 0, 200, 100),
            box(0, 100, 200, 200),
            box(200, 0, 400, 200),
        ],
        crs=4326,
    )
    buildings = gpd.GeoDataFrame(
        {
            "id": ["b1", "b2", "b3", "b4", "b5", "b6"],
            "use": ["residential", "residential", "residential", "office", "residential", "residential"],
            "name": ["1号楼", "2号楼", "3号楼", "写字楼", "5号楼", "6号楼"],
            "floors": pd.array([6, 6, 18, None, 6, 5], dtype="Int64"),
            "units": pd.array([2, 2, 2, None, 2, 1], dtype="Int64"),
            "households": pd.array([40, 24, 72, None, None, 10], dtype="Int64"),
            "residents": pd.array([100, 60, 190, None, None, 25], dtype="Int64"),
            "full_members": pd.array([4, 1, 6, None, 0, 3], dtype="Int64"),
            "probationary_members": pd.array([0, 0, 1, None, 0, 0], dtype="Int64"),
        },
        geometry=[
            box(10, 10, 30, 30),
            box(120, 20, 140, 40),
            point(250, 50),
            box(300, 120, 330, 150),
            box(60, 10, 80, 30),
            box(40, 140, 70, 160),
        ],
        crs=4326,
    )
    organizations = gpd.GeoDataFrame(
        {
            "id": ["o1", "o2"],
            "name": ["甲科技公司", "乙协会"],
            "kind": ["enterprise", "social_org"],
            "employees": pd.array([50, 8], dtype="Int64"),
            "full_members": pd.array([4, 1], dtype="Int64"),
            "has_union": [True, False],
            "has_youth_league": [False, False],
            "building_id": ["b3", None],
        },
        geometry=[point(260, 60), point(310, 130)],
        crs=4326,
    )
    party_orgs = pd.DataFrame(
        {
            "id": ["c1", "br1", "grp1", "ob1"],
            "name": ["一社区党委", "P1党支部", "1号楼党小组", "甲科技公司党支部"],
            "kind": ["committee", "branch", "group", "branch"],
            "parent_id": [None, "c1", "br1", "c1"],
            "full_members": pd.array([None, 12, 4, 4], dtype="Int64"),
        }
    )
    party_org_scope = pd.DataFrame(
        {
            "party_org_id": ["c1", "br1", "grp1", "ob1"],
            "target_type": ["community", "grid", "building", "organization"],
            "target_id": [C1, C1 + "003", "b1", "o1"],
            "own": pd.array([None, None, None, True], dtype="boolean"),
        }
    )
    staff = pd.DataFrame(
        {
            "id": ["s1", "s2", "s3", "s4"],
            "name": ["张伟", "李芳", "王强", "赵敏"],
            "role": ["grid_leader", "grid_worker", "building_leader", "liaison"],
            "fulltime": [True, True, False, False],
            "phone": ["13800000001", "13800000002", None, None],
        }
    )
    assignments = pd.DataFrame(
        {
            "staff_id": ["s1", "s2", "s3", "s4"],
            "target_type": ["grid", "grid", "building", "organization"],
            "target_id": [C1 + "001", C1 + "001", "b1", "o2"],
            "start_date": [dt.date(2023, 1, 1), dt.date(2024, 1, 1), dt.date(2019, 1, 1), None],
            "end_date": [None, None, dt.date(2020, 12, 31), None],
        }
    )
    return {
        "communities": communities,
        "grids": grids,
        "buildings": buildings,
        "organizations": organizations,
        "party_orgs": party_orgs,
        "party_org_scope": party_org_scope,
        "staff": staff,
        "assignments": assignments,
    }


def write(path: Path, frames: dict[str, pd.DataFrame] | None = None, **options) -> Path:
    """Write ``frames`` (default: :func:`layers`) as a GeoPackage; ``options`` go to pyogrio."""
    frames = layers() if frames is None else frames
    for name, frame in frames.items():
        frame = frame.copy()
        for column in frame.columns:  # GeoPackage has no date-only nullable type for objects
            if frame[column].dtype == object and any(isinstance(v, dt.date) for v in frame[column]):
                frame[column] = [v.isoformat() if isinstance(v, dt.date) else None for v in frame[column]]
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", **options)
    return path


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The x, y of the Web Mercator tile at zoom ``z`` holding a lon/lat point."""
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def mvt_strings(data: bytes, values: set[str]) -> set[str]:
    """Which of ``values`` a vector tile holds as string values (field 1, length-prefixed)."""
    return {v for v in values if b"\x0a" + bytes([len(v.encode())]) + v.encode() in data}
