"""Each role and scope against each endpoint, with authentication on: allowed and forbidden reads
and writes, nothing out of scope in any list, map, tile, export or report (tests/access/world.py)."""

from __future__ import annotations

import io

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from gridsvc.api import create_app
from tests import coverage_scene as s
from tests import scenes
from tests.access import world
from tests.access.world import SEES, USERS

NAMES = list(USERS)


@pytest.fixture(scope="module")
def app_and_tokens(engine, settings, tmp_path_factory):
    tokens = world.build(engine, tmp_path_factory.mktemp("access"))
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        yield client, tokens


@pytest.fixture
def as_user(app_and_tokens):
    client, tokens = app_and_tokens

    def call(name: str | None, method: str, url: str, **kwargs):
        headers = {"Authorization": f"Bearer {tokens[name]}"} if name else {}
        return client.request(method, url, headers=headers, **kwargs)

    return call


def _ids(body) -> set[str]:
    if isinstance(body, dict):
        return {f["id"] for f in body["features"]}
    return {row["id"] for row in body}


# -- authentication -----------------------------------------------------------------------------
def test_every_route_needs_a_token(as_user, app_and_tokens):
    client, _ = app_and_tokens
    paths = client.get("/openapi.json", headers={"Authorization": f"Bearer {app_and_tokens[1]['admin']}"}).json()[
        "paths"
    ]
    fill = {
        "{area_code}": s.C1,
        "{code}": s.G1,
        "{community}": s.C1,
        "{area}": s.C1,
        "{plan_id}": "1",
        "{building_id}": "b1",
        "{assignment_id}": "1",
        "{layer}": "buildings",
        "{z}": "1",
        "{x}": "1",
        "{y}": "1",
        "{collection_id}": "buildings",
        "{fid}": "b1",
        "{organization_id}": "o1",
        "{staff_id}": "W1",
    }
    checked = 0
    for path, methods in paths.items():
        url = path
        for key, value in fill.items():
            url = url.replace(key, value)
        for method in methods:
            if path == "/api/auth/token":
                continue
            r = client.request(method.upper(), url)
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["www-authenticate"] == "Bearer"
            r = client.request(method.upper(), url, headers={"Authorization": "Bearer not-a-token"})
            assert r.status_code == 401, (method, path)
            checked += 1
    assert checked >= 30  # every route of the API, maps and tiles
    assert client.get("/maps/grids/" + s.G1).status_code == 401  # the map pages too


# -- lists --------------------------------------------------------------------------------------
LISTS = {
    "areas": "/api/areas",
    "grids": "/api/grids",
    "buildings": "/api/buildings",
    "organizations": "/api/organizations",
    "staff": "/api/staff",
    "party_orgs": "/api/party-orgs",
}


@pytest.mark.parametrize("name", NAMES)
def test_lists_hold_exactly_the_scope(as_user, name):
    expected = SEES[world.scope_of(name)]
    for kind, url in LISTS.items():
        r = as_user(name, "GET", url)
        assert r.status_code == 200, (url, r.text)
        assert _ids(r.json()) == expected[kind], (name, kind)


@pytest.mark.parametrize("name", NAMES)
def test_staff_phones_whole_inside_the_scope(as_user, name):
    for row in as_user(name, "GET", "/api/staff").json():
        assert row["phone"] == world.PHONES[row["id"]]  # a registered user sees whole numbers in their area


def test_party_org_scope_rows_outside_are_hidden(as_user):
    """The joint branch jb1 reaches into both communities; each side sees only its own targets."""
    by_id = {p["id"]: p for p in as_user("planner", "GET", "/api/party-orgs").json()}
    assert {(t["target_type"], t["target_id"]) for t in by_id["jb1"]["scope"]} == {("organization", "o2")}
    by_id = {p["id"]: p for p in as_user("viewer", "GET", "/api/party-orgs").json()}
    assert {(t["target_type"], t["target_id"]) for t in by_id["jb1"]["scope"]} == {
        ("building", "b7"),
        ("organization", "o3"),
    }


# -- named objects ------------------------------------------------------------------------------
READS = [
    "/api/grids/{grid}",
    "/api/grids/{grid}/coverage",
    "/api/coverage/{grid}",
    "/maps/grids/{grid}",
    "/api/buildings?grid={grid}",
    "/api/staff?grid={grid}",
    "/api/gaps?area={grid}",
]
AREA_READS = [
    "/api/coverage/{community}",
    "/api/alignment/{community}",
    "/maps/coverage/{community}",
    "/maps/alignment/{community}",
    "/api/reports/{community}?format=html",
    "/api/buildings?community={community}",
    "/api/gaps?area={community}",
]


@pytest.mark.parametrize("name", NAMES)
def test_named_objects_inside_answer_outside_404(as_user, name):
    scope = world.scope_of(name)
    for grid in sorted(world.ALL_GRIDS):
        inside = scope is None or grid.startswith(scope)
        for url in READS:
            r = as_user(name, "GET", url.format(grid=grid))
            assert r.status_code == (200 if inside else 404), (name, url, grid, r.status_code)
    for community in (s.C1, s.C2):
        inside = scope is None or community.startswith(scope)
        for url in AREA_READS:
            r = as_user(name, "GET", url.format(community=community))
            assert r.status_code == (200 if inside else 404), (name, url, community, r.status_code)


def test_coverage_of_an_area_is_the_same_for_everyone_allowed_to_see_it(as_user):
    admin = as_user("admin", "GET", f"/api/coverage/{s.C1}").json()
    assert as_user("planner", "GET", f"/api/coverage/{s.C1}").json() == admin
    grid = as_user("leader", "GET", f"/api/coverage/{s.G1}").json()
    assert grid == as_user("admin", "GET", f"/api/coverage/{s.G1}").json()


@pytest.mark.parametrize("name", ["planner", "leader", "viewer"])
def test_gaps_without_area_stay_in_the_scope(as_user, name):
    scope = world.scope_of(name)
    features = as_user(name, "GET", "/api/gaps").json()["features"]
    assert features  # the drawing has gaps everywhere
    for f in features:
        p = f["properties"]
        assert (p["grid"] or p["community"]).startswith(scope[:12]), p
        if len(scope) == 15:
            assert (
                p["grid"] in (None, scope) and p["object_id"] not in SEES[s.C1]["buildings"] - SEES[scope]["buildings"]
            )


@pytest.mark.parametrize("name", NAMES)
def test_tiles_hold_only_the_scope(as_user, name):
    lon, lat = s.frames()["buildings"].geometry.union_all().centroid.coords[0]
    expected = SEES[world.scope_of(name)]
    for z in (13, 16):  # points below zoom 15, footprints from 15
        x, y = scenes.tile_of(lon, lat, z)
        r = as_user(name, "GET", f"/tiles/buildings/{z}/{x}/{y}.pbf")
        assert r.status_code == 200 and r.headers["cache-control"].startswith("private")
        if z == 13:
            assert scenes.mvt_strings(r.content, SEES[None]["buildings"]) == expected["buildings"]
        else:
            assert scenes.mvt_strings(r.content, SEES[None]["buildings"]) <= expected["buildings"]
    x, y = scenes.tile_of(lon, lat, 13)
    grids = as_user(name, "GET", f"/tiles/grids/13/{x}/{y}.pbf").content
    assert scenes.mvt_strings(grids, world.ALL_GRIDS) == expected["grids"]


# -- exports and reports ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["leader", "viewer", "admin"])
def test_export_holds_only_the_scope(as_user, name, tmp_path):
    r = as_user(name, "GET", "/api/export")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geopackage+sqlite3"
    path = tmp_path / "export.gpkg"
    path.write_bytes(r.content)
    expected = SEES[world.scope_of(name)]
    assert set(gpd.read_file(path, layer="buildings")["id"]) == expected["buildings"]
    assert set(gpd.read_file(path, layer="grids")["code"]) == expected["grids"]
    staff = gpd.read_file(path, layer="staff")
    assert set(staff["id"]) == expected["staff"]
    assert all(phone == world.PHONES[sid] for sid, phone in zip(staff["id"], staff["phone"], strict=True))
    assert set(gpd.read_file(path, layer="party_orgs")["id"]) == expected["party_orgs"]


def test_report_holds_only_the_scope(as_user):
    r = as_user("planner", "GET", f"/api/reports/{s.C1}?format=xlsx")
    assert r.status_code == 200
    cells = {
        str(c.value)
        for ws in load_workbook(io.BytesIO(r.content)).worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }
    assert s.G1 in " ".join(cells)
    outside = {s.C2, s.U1, s.U2, "西社区"} | {str(v) for v in world.C2_STAFF}
    assert not [c for c in cells if any(o in c for o in outside)]
    names_c2 = set(s.frames()["staff"].set_index("id").loc[sorted(world.C2_STAFF), "name"])
    assert not cells & names_c2


def test_maps_hold_only_the_scope(as_user):
    page = as_user("planner", "GET", f"/maps/coverage/{s.C1}").text
    assert s.P1 in page and s.U1 not in page and s.U2 not in page and "西社区" not in page
    page = as_user("leader", "GET", f"/maps/grids/{s.G1}").text
    assert world.PHONES["L1"] in page  # the grid leader sees their own staff's numbers whole
    assert '"b1"' in page and '"b3"' not in page and '"b7"' not in page


# -- writes -------------------------------------------------------------------------------------
def test_building_edits_by_role_and_scope(as_user, engine):
    body = {"households": 44}
    assert as_user("leader", "PATCH", "/api/buildings/b1", json=body).status_code == 200
    assert as_user("leader", "PATCH", "/api/buildings/b3", json=body).status_code == 404  # G2: not theirs
    assert as_user("leader", "PATCH", "/api/buildings/b7", json=body).status_code == 404
    assert as_user("viewer", "PATCH", "/api/buildings/b7", json=body).status_code == 403  # viewers read
    assert as_user("planner", "PATCH", "/api/buildings/b1", json=body).status_code == 403
    assert as_user("admin", "PATCH", "/api/buildings/b7", json={"households": 201}).status_code == 200
    assert as_user("leader", "PATCH", "/api/buildings/b1", json={"floors": -1}).status_code == 422
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, households FROM buildings WHERE id IN ('b1', 'b3', 'b7')")).all())
        entry = conn.execute(
            text("""SELECT actor, before, after FROM audit_log
                                     WHERE action = 'building.update' AND target_id = 'b1'""")
        ).one()
    assert rows == {"b1": 44, "b3": 20, "b7": 201}
    assert entry.actor == "leader" and entry.before == {"households": 40} and entry.after == {"households": 44}


def test_assignment_edits_by_role_and_scope(as_user, engine):
    made = as_user(
        "leader", "POST", "/api/assignments", json={"staff_id": "W1", "target_type": "building", "target_id": "b2"}
    )
    assert made.status_code == 201 and made.json()["target_id"] == "b2"
    for body in (
        {"staff_id": "W1", "target_type": "grid", "target_id": s.G2},  # a grid not theirs
        {"staff_id": "W4", "target_type": "grid", "target_id": s.G1},
    ):  # staff of C2
        assert as_user("leader", "POST", "/api/assignments", json=body).status_code == 404
    assert (
        as_user(
            "viewer", "POST", "/api/assignments", json={"staff_id": "W4", "target_type": "grid", "target_id": s.U2}
        ).status_code
        == 403
    )
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT staff_id, id FROM assignments WHERE staff_id IN ('L1', 'L4')")).all())
    assert as_user("leader", "POST", f"/api/assignments/{ids['L4']}/end", json={}).status_code == 404
    ended = as_user("leader", "POST", f"/api/assignments/{ids['L1']}/end", json={"end_date": "2026-11-30"})
    assert ended.status_code == 200 and ended.json()["end_date"] == "2026-11-30"
    log = as_user("admin", "GET", "/api/audit", params={"action": "assignment.end"}).json()
    assert log[0]["actor"] == "leader" and log[0]["before"]["end_date"] is None
    assert log[0]["after"]["end_date"] == "2026-11-30"


def test_plans_and_snapshots_by_role_and_scope(as_user):
    adopt = {"communities": [s.C1], "origin": "adopt_governance"}
    assert as_user("leader", "POST", "/api/plans", json=adopt).status_code == 403
    assert as_user("viewer", "POST", "/api/plans", json=adopt).status_code == 403
    assert as_user("planner", "POST", "/api/plans", json=adopt | {"communities": [s.C2]}).status_code == 404
    made = as_user("planner", "POST", "/api/plans", json=adopt)
    assert made.status_code == 201
    plan = made.json()["id"]
    assert plan in {p["id"] for p in as_user("district", "GET", "/api/plans").json()}
    assert plan not in {p["id"] for p in as_user("viewer", "GET", "/api/plans").json()}
    assert as_user("viewer", "GET", f"/api/plans/{plan}").status_code == 404
    assert as_user("planner", "GET", f"/api/plans/{plan}").status_code == 200
    page = as_user("planner", "GET", f"/maps/plans/{plan}")  # the plan map, under the same scope
    assert page.status_code == 200 and "script-src" in page.headers["content-security-policy"]
    assert "现状、方案与最好可能" in page.text
    assert as_user("viewer", "GET", f"/maps/plans/{plan}").status_code == 404  # a plan outside their scope
    assert as_user("planner", "GET", "/maps/plans/999999").status_code == 404
    assert as_user("planner", "GET", "/maps/plans/x").status_code == 422
    assert as_user("viewer", "POST", "/api/snapshots", json={}).status_code == 403
    snap = as_user("planner", "POST", "/api/snapshots", json={})
    assert snap.status_code == 201 and snap.json()["area"] == s.C1  # no area: the planner's whole scope
    assert as_user("planner", "POST", "/api/snapshots", json={"area": s.C2}).status_code == 404
    assert {r["area"] for r in as_user("viewer", "GET", "/api/snapshots").json()} <= {s.C2}
    actions = {(e["actor"], e["action"]) for e in as_user("admin", "GET", "/api/audit").json()}
    assert {("planner", "plan.create"), ("planner", "snapshot.take")} <= actions


@pytest.mark.parametrize("name", ["district", "planner", "leader", "viewer"])
def test_only_admins_read_the_audit_log(as_user, name):
    assert as_user(name, "GET", "/api/audit").status_code == 403
    assert as_user("admin", "GET", "/api/audit").status_code == 200
