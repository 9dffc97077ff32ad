"""The API skeleton, through the app: status, content type, and bodies checked against the scene."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import gridsvc
from gridsvc.api import create_app
from gridsvc.services import imports
from tests import scenes

C1 = scenes.C1


@pytest.fixture
def client(db, settings, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "small.gpkg"))
    with TestClient(create_app(settings)) as client:
        yield client


def _codes(body: dict) -> list[str]:
    assert body["type"] == "FeatureCollection"
    return [f["id"] for f in body["features"]]


def test_health(client):
    r = client.get("/api/health")
    newest = max(p.name[:4] for p in (Path(gridsvc.__file__).parent / "db/migrations/versions").glob("0*.py"))
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok", "migration": newest}


def test_areas_by_level(client):
    r = client.get("/api/areas", params={"level": "community"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert _codes(r.json()) == [C1, scenes.C2]
    ring = r.json()["features"][0]["geometry"]["coordinates"][0][0]
    lon, lat = ring[0]
    assert 118 < lon < 119 and 32 < lat < 33  # RFC 7946 order: lon first


def test_grids_filters(client):
    assert _codes(client.get("/api/grids", params={"layer": "party"}).json()) == [C1 + "003", C1 + "004"]
    assert _codes(client.get("/api/grids", params={"community": scenes.C2}).json()) == [scenes.C2 + "001"]
    west, south = scenes.lonlat(110, 10)
    east, north = scenes.lonlat(190, 90)
    in_box = _codes(client.get("/api/grids", params={"bbox": f"{west},{south},{east},{north}"}).json())
    assert in_box == [C1 + "002", C1 + "003"]


def test_one_grid_and_404(client):
    r = client.get(f"/api/grids/{C1}001")
    assert r.status_code == 200 and r.json()["properties"]["name"] == "G1"
    r = client.get("/api/grids/329901001001999")
    assert r.status_code == 404 and "329901001001999" in r.json()["detail"]


def test_buildings_by_grid_community_and_paging(client):
    assert _codes(client.get("/api/buildings", params={"grid": C1 + "001"}).json()) == ["b1", "b5"]
    assert _codes(client.get("/api/buildings", params={"community": scenes.C2}).json()) == ["b3", "b4"]
    page = client.get("/api/buildings", params={"limit": 4, "offset": 0}).json()
    assert len(page["features"]) == 4 and page["more"] is True
    rest = client.get("/api/buildings", params={"limit": 4, "offset": 4}).json()
    assert len(rest["features"]) == 2 and rest["more"] is False
    props = client.get("/api/buildings", params={"grid": C1 + "001"}).json()["features"][1]["properties"]
    assert props["households"] == 24 and props["households_estimated"] is True


def test_bad_parameters_are_422(client):
    assert client.get("/api/buildings", params={"bbox": "1,2,3"}).status_code == 422
    assert client.get("/api/buildings", params={"bbox": "120,40,110,30"}).status_code == 422
    assert client.get("/api/grids", params={"layer": "other"}).status_code == 422
    assert client.get("/api/buildings", params={"grid": "12"}).status_code == 422
    assert client.get("/api/buildings", params={"grid": "329901001001999"}).status_code == 404
    assert client.get("/api/buildings", params={"offset": 2**63}).status_code == 422  # found by schemathesis
    r = client.patch("/api/buildings/b1", json={"name": "a\u0000b"})  # a NUL byte PostgreSQL cannot store
    assert r.status_code == 422 and "无法使用" in r.json()["detail"]


def test_a_parameter_of_the_wrong_kind_is_answered_in_chinese(client):
    """FastAPI's own checks read like the rest of the API: the field in ``loc``, the reason in Chinese."""
    not_a_number = client.get("/api/buildings", params={"limit": "unlimited"})
    assert not_a_number.status_code == 422
    assert [(e["loc"], e["msg"]) for e in not_a_number.json()["detail"]] == [(["query", "limit"], "应为整数")]
    below = client.get("/api/buildings", params={"limit": "0"}).json()["detail"]
    assert [(e["loc"], e["msg"]) for e in below] == [(["query", "limit"], "应不小于 1")]


def test_party_orgs_with_scope(client):
    body = client.get("/api/party-orgs").json()
    by_id = {p["id"]: p for p in body}
    assert by_id["grp1"]["scope"] == [{"target_type": "building", "target_id": "b1", "own": None}]
    assert by_id["ob1"]["scope"][0]["own"] is True
    assert [p["id"] for p in client.get("/api/party-orgs", params={"kind": "group"}).json()] == ["grp1"]


def test_organizations(client):
    body = client.get("/api/organizations").json()
    assert [o["id"] for o in body] == ["o1", "o2"]
    assert body[0]["building_id"] == "b3" and 118 < body[0]["lon"] < 119


def test_staff_masks_phones_and_filters_active(client):
    body = client.get("/api/staff", params={"grid": C1 + "001"}).json()
    assert [s["id"] for s in body] == ["s1", "s2"]
    assert body[0]["phone"] == "138****0001"
    leaders = client.get("/api/staff", params={"role": "building_leader", "active": True}).json()
    assert leaders[0]["assignments"] == []  # s3's assignment ended in 2020
    everyone = client.get("/api/staff", params={"role": "building_leader"}).json()
    assert everyone[0]["assignments"][0]["end_date"] == "2020-12-31"


def test_openapi_lists_the_skeleton(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/health",
        "/api/areas",
        "/api/grids",
        "/api/buildings",
        "/api/party-orgs",
        "/api/organizations",
        "/api/staff",
    ):
        assert path in paths
    assert client.get("/docs").status_code == 200
