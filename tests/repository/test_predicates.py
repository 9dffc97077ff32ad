"""The SQL forms of two rules (repository/predicates.py) give the answers of their Python definitions
(analysis/), on the hand-drawn scene of tests/coverage_scene.py plus one building b9 standing in the
overlap of U1 and U2 (x 296..299): by rule 5 it is U1's, the first grid holding its point.

Also the two defects this fixed, as a user meets them: ``/api/buildings?grid=`` listed b9 under both
grids while coverage counted it once, and a grid's coverage page listed a leader starting in 2099
while its metric said the grid had no active leader."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gridsvc.analysis.scene import Thresholds
from gridsvc.analysis.units import building_units
from gridsvc.api import create_app
from gridsvc.repository import predicates
from gridsvc.repository import read as repo
from gridsvc.repository.scene import load_scene
from gridsvc.services import access, imports
from gridsvc.services.access import Principal
from tests import coverage_scene as s
from tests import scenes

ALL_GRIDS = [s.P1, s.P2, s.G1, s.G2, s.U1, s.U2]


def _with_b9() -> dict:
    frames = s.frames()
    b = frames["buildings"]
    b9 = gpd.GeoDataFrame(
        {
            "id": ["b9"],
            "name": ["9号楼"],
            "use": ["residential"],
            "households": pd.array([12], dtype="Int64"),
            "full_members": pd.array([1], dtype="Int64"),
        },
        geometry=s.lonlat([s.box(296, 40, 299, 60)]),
    )
    frames["buildings"] = gpd.GeoDataFrame(pd.concat([b, b9], ignore_index=True), crs=b.crs)
    return frames


@pytest.fixture
def scene(db, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "scene.gpkg", _with_b9()))
    return db


def test_sql_assignment_equals_python_for_every_grid(scene):
    with scene.connect() as conn:
        units = building_units(load_scene(conn, None, s.AS_OF), Thresholds())
        for code in ALL_GRIDS:
            in_sql = set(repo.buildings(conn, grid=code)["id"])
            in_python = set(units.loc[(units["party_grid"] == code) | (units["governance_grid"] == code), "id"])
            assert in_sql == in_python, code
    assert units.loc[units["id"] == "b9", ["party_grid", "governance_grid"]].values.tolist() == [[s.U1, s.U1]]


def test_a_building_in_two_overlapping_grids_is_listed_under_the_first_only(scene, settings):
    with TestClient(create_app(settings)) as client:
        listed = {
            code: {f["id"] for f in client.get("/api/buildings", params={"grid": code}).json()["features"]}
            for code in (s.U1, s.U2)
        }
        counted = {
            code: {b["id"] for b in client.get(f"/api/grids/{code}/coverage").json()["buildings"]}
            for code in (s.U1, s.U2)
        }
    assert listed == counted
    assert "b9" in listed[s.U1] and "b9" not in listed[s.U2]


def test_row_level_security_gives_the_overlap_to_the_first_grid(scene):
    for scope, sees_b9 in ((s.U1, True), (s.U2, False)):
        scoped = access.scoped(scene, Principal("leader", "leader", scope))
        with scoped.connect() as conn:
            ids = set(conn.execute(text("SELECT id FROM buildings")).scalars())
        assert ("b9" in ids) is sees_b9, scope


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2019, 6, 1),
        dt.date(2020, 12, 31),
        s.AS_OF,
        dt.date(2099, 1, 1),
        dt.date(2099, 12, 31),
        dt.date(2100, 1, 1),
    ],
)
def test_sql_active_assignments_equal_python(scene, day):
    with scene.connect() as conn:
        active_py = load_scene(conn, None, day).active_assignments()
        rows = conn.execute(
            text(
                f"SELECT staff_id, target_type, target_id FROM assignments a WHERE {predicates.active_on('a', ':day')}"
            ),
            {"day": day},
        )
        in_sql = {tuple(r) for r in rows}
    in_python = set(zip(active_py["staff_id"], active_py["target_type"], active_py["target_id"], strict=True))
    assert in_sql == in_python


def test_grid_coverage_lists_only_active_staff(scene, settings):
    with TestClient(create_app(settings)) as client:
        body = client.get(f"/api/grids/{s.U1}/coverage").json()
    staff = {p["id"] for p in body["staff"]}
    assert "L3b" not in staff and "L3" not in staff  # starts in 2099; ended in 2020
    assert "W3" in staff  # the part-time worker until 2099
    assert body["metrics"]["grid_leader_coverage"]["value"] == 0
