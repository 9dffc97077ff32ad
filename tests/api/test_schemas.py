"""The OpenAPI document says what each JSON route answers (api/schemas.py), and the real answers on
the hand-drawn scene are what it says."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from gridsvc.api import create_app, schemas
from tests import coverage_scene as s
from tests.access import world


@pytest.fixture(scope="module")
def calls(engine, settings, tmp_path_factory):
    tokens = world.build(engine, tmp_path_factory.mktemp("schemas"))
    app = create_app(settings.model_copy(update={"auth_required": True}))
    app.state.engine = engine
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {tokens['admin']}"
        yield client, tokens


def _valid(model, body):
    TypeAdapter(model).validate_python(body)
    return body


def test_every_json_route_documents_its_answer():
    spec = create_app().openapi()
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            success = {k: v for k, v in op["responses"].items() if k.startswith("2")}
            for status, answer in success.items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if schema is None:
                    continue  # files, pages and tiles
                described = "$ref" in schema or "$ref" in schema.get("items", {}) or schema.get("items", {}).get("type")
                assert described, (method, path, status, schema)


def test_read_answers_match_their_models(calls):
    client, _ = calls
    get = lambda url, **params: client.get(url, params=params).json()  # noqa: E731
    _valid(schemas.Health, get("/api/health"))
    _valid(schemas.FeatureCollection, get("/api/areas"))
    _valid(schemas.FeatureCollection, get("/api/grids", layer="party"))
    _valid(schemas.Feature, get(f"/api/grids/{s.G1}"))
    _valid(schemas.BuildingPage, get("/api/buildings", community=s.C1, limit=2))
    _valid(list[schemas.PartyOrg], get("/api/party-orgs"))
    _valid(list[schemas.Organization], get("/api/organizations"))
    assert _valid(list[schemas.Staff], get("/api/staff", active=True))
    tree = _valid(schemas.CoverageTree, get(f"/api/coverage/{s.DISTRICT}"))
    assert tree["children"][0]["children"]  # the recursive node holds down to the grids
    _valid(schemas.GapCollection, get("/api/gaps", area=s.C1))
    _valid(schemas.Alignment, get(f"/api/alignment/{s.C1}"))
    _valid(schemas.GridCoverage, get(f"/api/grids/{s.U1}/coverage"))
    _valid(list[schemas.BuildingGrid], get("/api/buildings/b1/grids"))
    _valid(schemas.Me, get("/api/auth/me"))
    _valid(list[schemas.AuditEntry], get("/api/audit"))


def test_write_answers_match_their_models(calls):
    client, tokens = calls
    created = client.post("/api/plans", json={"communities": [s.C1], "origin": "adopt_governance"})
    plan_id = _valid(schemas.PlanCreated, created.json())["id"]
    _valid(list[schemas.Plan], client.get("/api/plans").json())
    _valid(schemas.PlanShown, client.get(f"/api/plans/{plan_id}").json())
    _valid(schemas.PlanValidation, client.get(f"/api/plans/{plan_id}/validation").json())
    _valid(schemas.PlanDiff, client.get(f"/api/plans/{plan_id}/diff").json())
    _valid(list[dict], client.get(f"/api/plans/{plan_id}/scores").json())
    _valid(schemas.PlanApplied, client.post(f"/api/plans/{plan_id}/apply").json())
    _valid(schemas.Snapshot, client.post("/api/snapshots", json={"area": s.C1}).json())
    _valid(list[schemas.Snapshot], client.get("/api/snapshots").json())
    _valid(schemas.BuildingEdited, client.patch("/api/buildings/b1", json={"households": 41}).json())
    made = _valid(
        schemas.Assignment,
        client.post(
            "/api/assignments",
            json={"staff_id": "W1", "target_type": "building", "target_id": "b1", "start_date": "2026-01-01"},
        ).json(),
    )
    _valid(
        schemas.Assignment, client.post(f"/api/assignments/{made['id']}/end", json={"end_date": "2026-06-01"}).json()
    )
    token = _valid(
        schemas.Token,
        client.post("/api/auth/token", data={"username": "viewer", "password": world.password("viewer")}).json(),
    )
    _valid(
        schemas.LoggedOut,
        client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token['access_token']}"}).json(),
    )
