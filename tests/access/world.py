"""The hand-drawn district of tests/coverage_scene.py with one user per role and scope, and what
each scope may see, read off the drawing by eye (not computed by gridsvc).

  C1 (x 0..200): party P1 0..100, P2 100..200; governance G1 0..120, G2 120..190
  C2 (x 200..400): unified U1 200..300, U2 295..410
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
from sqlalchemy import text

from gridsvc.services import imports, users
from tests import coverage_scene as s
from tests import scenes
from tests.conftest import TABLES

# name: (role, scope)
USERS = {
    "admin": ("admin", None),
    "district": ("viewer", s.DISTRICT),
    "planner": ("planner", s.C1),
    "leader": ("leader", s.G1),
    "viewer": ("viewer", s.C2),
}
ALL_GRIDS = {s.P1, s.P2, s.G1, s.G2, s.U1, s.U2}
C1_STAFF = {"L1", "W1", "L2a", "L2b", "BL1", "BL2", "BL3", "BL4"}  # on G1, G2 and buildings b1..b4
C2_STAFF = {"L3", "L3b", "W3", "L4", "W4", "BL7", "BL8", "LI5", "LI7"}  # on U1, U2, b7, b8, o5, o7
C1_PARTY = {"c1", "brP1", "grp1", "br5", "jb1", "ob1"}  # jb1 through o2, br5 through b5 at x 195
C2_PARTY = {"brU1a", "brU1b", "brU2", "jb1"}  # jb1 through b7 and o3
# scope: what it sees
SEES = {
    None: {
        "areas": {s.DISTRICT, s.STREET, s.C1, s.C2},
        "grids": ALL_GRIDS,
        "buildings": {f"b{i}" for i in range(1, 9)},
        "organizations": {f"o{i}" for i in range(1, 8)},
        "staff": C1_STAFF | C2_STAFF,
        "party_orgs": C1_PARTY | C2_PARTY,
        "facilities": {"f1", "f2"},
        "registrations": {"o1:" + s.C1, "o7:" + s.C1},
    },
    s.C1: {
        "areas": {s.DISTRICT, s.STREET, s.C1},
        "grids": {s.P1, s.P2, s.G1, s.G2},
        "buildings": {"b1", "b2", "b3", "b4", "b5", "b6"},
        "organizations": {"o1", "o2"},
        "staff": C1_STAFF,
        "party_orgs": C1_PARTY,
        "facilities": {"f1"},
        "registrations": {"o1:" + s.C1, "o7:" + s.C1},  # both with C1: o7 (in C2) registered here wrongly
    },
    # G1 is x 0..120: b4 (90..120) stands in it by its representative point; c1 is the community above
    s.G1: {
        "areas": {s.DISTRICT, s.STREET, s.C1},
        "grids": {s.G1},
        "buildings": {"b1", "b2", "b4"},
        "organizations": {"o1", "o2"},
        "staff": {"L1", "W1", "BL1", "BL2", "BL4"},
        "party_orgs": {"c1", "grp1", "jb1", "ob1"},
        "facilities": {"f1"},  # at (50, 50), inside G1
        "registrations": {"o1:" + s.C1},  # through its unit o1; C1 is above the grid
    },
    s.C2: {
        "areas": {s.DISTRICT, s.STREET, s.C2},
        "grids": {s.U1, s.U2},
        "buildings": {"b7", "b8"},
        "organizations": {"o3", "o4", "o5", "o6", "o7"},
        "staff": C2_STAFF,
        "party_orgs": C2_PARTY,
        "facilities": {"f2"},
        "registrations": {"o7:" + s.C1},  # its unit o7 registered elsewhere
    },
}
SEES[s.DISTRICT] = SEES[None]
PHONES = {sid: f"1380000{i:04d}" for i, sid in enumerate(s.frames()["staff"]["id"])}


def frames() -> dict:
    """The scene with a community centre in each community: f1 at (50, 50) in C1 (and G1), f2 at
    (300, 50) in C2; o1 (C1) and o7 (C2) registered (报到) with C1."""
    layers = s.frames()
    layers["facilities"] = gpd.GeoDataFrame(
        {
            "id": ["f1", "f2"],
            "name": ["东社区党群服务中心", "西社区党群服务中心"],
            "level": ["community_centre"] * 2,
            "floor_area": [600, 450],
        },
        geometry=s.lonlat([s.pt(50, 50), s.pt(300, 50)]),
    )
    layers["unit_registrations"] = pd.DataFrame(
        {"organization_id": ["o1", "o7"], "community_code": [s.C1, s.C1], "registered_on": ["2025-03-01"] * 2}
    )
    return layers


def password(name: str) -> str:
    return f"password-of-{name}"


def build(engine, tmp_path) -> dict[str, str]:
    """Empty the database, import the scene, add the users; their tokens by name."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    imports.import_file(engine, scenes.write(tmp_path / "access.gpkg", frames()))
    tokens = {}
    with engine.begin() as conn:
        for name, (role, scope) in USERS.items():
            users.add_user(conn, name, role, scope, password(name))
            tokens[name], _ = users.issue_token(conn, name, dt.timedelta(hours=1))
    return tokens


def scope_of(name: str) -> str | None:
    return USERS[name][1]
