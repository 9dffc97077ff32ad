"""A hand-drawn district for coverage, in metres (EPSG:4549, CGCS2000 GK zone 120°E), every answer
countable by eye. Drawn 100 m tall, x from 0 to 410:

  community C1 (0..200)                         community C2 (200..400)
  party:      P1 0..100 | P2 100..200            unified: U1 200..300, U2 295..410
  governance: G1 0..120 | G2 120..190 | gap 190..200    (U1/U2 overlap 295..300; U2 sticks out 400..410)

  buildings  b1 (10..30,10..30) res 40 hh, 4 members, group grp1, leader
             b2 (60..80,10..30) res 30 hh, 5 members, no group, leader ended
             b3 (125..145,40..60) res 20 hh, 1 member, leader
             b4 (90..120,70..90) res 10 hh, cut by the P1/P2 line (1/3 in P1), leader
             b5 point (195,50) res 5 hh, 3 members, named by branch br5, in the governance gap
             b6 (150..170,10..30) office, 2 members
             b7 (220..260,20..60) res 200 hh, 10 members, joint branch jb1, leader
             b8 (320..360,20..60) res 600 hh, 2 members, leader
  organizations o1 (50,50) 5 members, own branch | o2 (60,60) 4, joint only | o3 (250,80) 1, joint
                o4 (350,80) 0, union | o5 (330,80) 2, liaison | o6 (340,90) 1, nothing
                o7 (360,90) 3, liaison ended
  staff  G1: leader, full-time worker | G2: two leaders, no worker
         U1: leader ended 2020, next leader starts 2099, part-time worker until 2099
         U2: leader, one full-time worker for 600 households
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS

from gridsvc.analysis.assignment import representative_points
from gridsvc.analysis.scene import Scene

METRIC = CRS.from_epsg(4549)
X0, Y0 = 500_000.0, 3_545_000.0
DISTRICT, STREET = "329902", "329902001"
C1, C2 = STREET + "001", STREET + "002"
P1, P2, G1, G2 = C1 + "001", C1 + "002", C1 + "003", C1 + "004"
U1, U2 = C2 + "001", C2 + "002"
AS_OF = dt.date(2026, 11, 23)


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def pt(x, y):
    return shapely.Point(X0 + x, Y0 + y)


def lonlat(geoms) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.segmentize(list(geoms), 10.0), crs=METRIC).to_crs(4490)


def frames() -> dict[str, pd.DataFrame]:
    """The scene as exchange-format layers (EPSG:4490)."""
    communities = gpd.GeoDataFrame(
        {
            "code": [C1, C2],
            "name": ["东社区", "西社区"],
            "street_code": [STREET] * 2,
            "street_name": ["乙街道"] * 2,
            "district_code": [DISTRICT] * 2,
            "district_name": ["测试二区"] * 2,
        },
        geometry=lonlat([box(0, 0, 200, 100), box(200, 0, 400, 100)]),
    )
    grids = gpd.GeoDataFrame(
        {
            "code": [P1, P2, G1, G2, U1, U2],
            "layer": ["party", "party", "governance", "governance", "unified", "unified"],
            "community_code": [C1, C1, C1, C1, C2, C2],
            "name": ["P1", "P2", "G1", "G2", "U1", "U2"],
        },
        geometry=lonlat(
            [
                box(0, 0, 100, 100),
                box(100, 0, 200, 100),
                box(0, 0, 120, 100),
                box(120, 0, 190, 100),
                box(200, 0, 300, 100),
                box(295, 0, 410, 100),
            ]
        ),
    )
    buildings = gpd.GeoDataFrame(
        {
            "id": [f"b{i}" for i in range(1, 9)],
            "name": [f"{i}号楼" for i in range(1, 9)],
            "use": ["residential"] * 5 + ["office"] + ["residential"] * 2,
            "households": pd.array([40, 30, 20, 10, 5, None, 200, 600], dtype="Int64"),
            "full_members": pd.array([4, 5, 1, 0, 3, 2, 10, 2], dtype="Int64"),
        },
        geometry=lonlat(
            [
                box(10, 10, 30, 30),
                box(60, 10, 80, 30),
                box(125, 40, 145, 60),
                box(90, 70, 120, 90),
                pt(195, 50),
                box(150, 10, 170, 30),
                box(220, 20, 260, 60),
                box(320, 20, 360, 60),
            ]
        ),
    )
    organizations = gpd.GeoDataFrame(
        {
            "id": [f"o{i}" for i in range(1, 8)],
            "name": [f"组织{i}" for i in range(1, 8)],
            "kind": ["enterprise"] * 7,
            "full_members": pd.array([5, 4, 1, 0, 2, 1, 3], dtype="Int64"),
            "has_union": [False, False, False, True, False, False, False],
            "has_youth_league": [False] * 7,
        },
        geometry=lonlat([pt(50, 50), pt(60, 60), pt(250, 80), pt(350, 80), pt(330, 80), pt(340, 90), pt(360, 90)]),
    )
    party_orgs = pd.DataFrame(
        [
            ("c1", "东社区党委", "committee"),
            ("brP1", "P1党支部", "branch"),
            ("brU1a", "U1党支部", "branch"),
            ("brU1b", "U1党总支", "general_branch"),
            ("brU2", "U2党支部", "branch"),
            ("grp1", "1号楼党小组", "group"),
            ("br5", "5号楼党支部", "branch"),
            ("jb1", "联合党支部", "joint_branch"),
            ("ob1", "组织1党支部", "branch"),
        ],
        columns=["id", "name", "kind"],
    )
    scopes = pd.DataFrame(
        [
            ("c1", "community", C1, None),
            ("brP1", "grid", P1, None),
            ("brU1a", "grid", U1, None),
            ("brU1b", "grid", U1, None),
            ("brU2", "grid", U2, None),
            ("grp1", "building", "b1", None),
            ("br5", "building", "b5", None),
            ("jb1", "building", "b7", None),
            ("jb1", "organization", "o2", False),
            ("jb1", "organization", "o3", False),
            ("ob1", "organization", "o1", True),
        ],
        columns=["party_org_id", "target_type", "target_id", "own"],
    )
    scopes["own"] = scopes["own"].astype("boolean")
    staff = pd.DataFrame(
        [
            ("L1", "张一", "grid_leader", True),
            ("W1", "李一", "grid_worker", True),
            ("L2a", "王二", "grid_leader", True),
            ("L2b", "赵二", "grid_leader", True),
            ("L3", "刘三", "grid_leader", True),
            ("L3b", "陈三", "grid_leader", True),
            ("W3", "杨三", "grid_worker", False),
            ("L4", "黄四", "grid_leader", True),
            ("W4", "周四", "grid_worker", True),
            ("BL1", "吴", "building_leader", False),
            ("BL2", "徐", "building_leader", False),
            ("BL3", "孙", "building_leader", False),
            ("BL4", "马", "building_leader", False),
            ("BL7", "朱", "building_leader", False),
            ("BL8", "胡", "building_leader", False),
            ("LI5", "郭", "liaison", False),
            ("LI7", "何", "liaison", False),
        ],
        columns=["id", "name", "role", "fulltime"],
    )
    staff["phone"] = [f"1380000{i:04d}" for i in range(len(staff))]
    d = dt.date
    assignments = pd.DataFrame(
        [
            ("L1", "grid", G1, d(2024, 1, 1), None),
            ("W1", "grid", G1, d(2024, 1, 1), None),
            ("L2a", "grid", G2, d(2024, 1, 1), None),
            ("L2b", "grid", G2, d(2025, 1, 1), None),
            ("L3", "grid", U1, d(2018, 1, 1), d(2020, 12, 31)),
            ("L3b", "grid", U1, d(2099, 1, 1), None),
            ("W3", "grid", U1, d(2024, 1, 1), d(2099, 12, 31)),
            ("L4", "grid", U2, None, None),
            ("W4", "grid", U2, None, None),
            ("BL1", "building", "b1", None, None),
            ("BL2", "building", "b2", d(2019, 1, 1), d(2025, 6, 30)),
            ("BL3", "building", "b3", None, None),
            ("BL4", "building", "b4", None, None),
            ("BL7", "building", "b7", None, None),
            ("BL8", "building", "b8", None, None),
            ("LI5", "organization", "o5", None, None),
            ("LI7", "organization", "o7", d(2020, 1, 1), d(2021, 1, 1)),
        ],
        columns=["staff_id", "target_type", "target_id", "start_date", "end_date"],
    )
    return {
        "communities": communities,
        "grids": grids,
        "buildings": buildings,
        "organizations": organizations,
        "party_orgs": party_orgs,
        "party_org_scope": scopes,
        "staff": staff,
        "assignments": assignments,
    }


def scene(layers: dict[str, pd.DataFrame] | None = None) -> Scene:
    """The scene for the pure analysis, without any database."""
    f = layers or frames()
    buildings = f["buildings"].copy()
    buildings["rep_point"] = representative_points(buildings.geometry.values)
    grids = f["grids"].assign(urban=True)
    return Scene(
        f["communities"],
        grids,
        buildings,
        f["organizations"],
        f["party_orgs"],
        f["party_org_scope"],
        f["staff"],
        f["assignments"],
        crs=METRIC,
        as_of=AS_OF,
    )
