"""Coverage through PostGIS, the CLI and the API gives the pure analysis' answers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.api import create_app
from gridsvc.cli import main
from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports
from tests import coverage_scene as s
from tests import scenes


@pytest.fixture
def loaded(db, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "coverage.gpkg", s.frames()))
    return db


def _without_floats(node):
    """The tree with areas rounded to whole m² (reprojection moves them by a few cm²)."""
    metrics = {
        k: {**v, "value": round(v["value"]) if k.startswith(("gap_", "overlap_")) else v["value"]}
        for k, v in node["metrics"].items()
    }
    return {**node, "metrics": metrics, "children": [_without_floats(c) for c in node["children"]]}


def test_database_coverage_equals_pure_analysis(loaded):
    from_db = coverage_service.coverage(loaded, s.DISTRICT, as_of=s.AS_OF).tree(s.DISTRICT)
    pure = compute_coverage(s.scene()).tree(s.DISTRICT)
    assert _without_floats(from_db) == _without_floats(pure)


def test_coverage_of_one_community_and_grid(loaded):
    cov = coverage_service.coverage(loaded, s.C1, as_of=s.AS_OF)
    assert cov.tree(s.C1)["metrics"]["building_group_coverage"]["numerator"] == 2
    grid = coverage_service.coverage(loaded, s.G2, as_of=s.AS_OF)
    assert set(grid.gap_list(s.G2)["kind"]) == {"multiple_grid_leaders", "no_grid_worker", "household_band"}


def test_cli_coverage_json_and_table(loaded, settings):
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(main, ["coverage", "--area", s.DISTRICT, "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    tree = json.loads(result.output)
    assert tree["metrics"]["org_coverage"] == {
        "value": pytest.approx(3 / 7, abs=1e-6),
        "numerator": 3,
        "denominator": 7,
    }
    table = CliRunner().invoke(main, ["coverage", "--area", s.DISTRICT], env=env).output
    assert "楼栋党小组应建已建率" in table and "75.0% (3/4)" in table and "乙街道" in table
    everything = json.loads(CliRunner().invoke(main, ["coverage", "--format", "json"], env=env).output)
    assert [d["area"]["code"] for d in everything] == [s.DISTRICT]


def test_cli_gaps_formats(loaded, settings):
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    table = CliRunner().invoke(main, ["gaps", "--area", s.C2], env=env).output
    assert "网格无网格长" in table and "U1（329902001002001）没有在岗网格长。" in table
    rows = json.loads(
        CliRunner().invoke(main, ["gaps", "--kind", "no_building_leader", "--format", "json"], env=env).output
    )
    assert sorted(r["object_id"] for r in rows) == ["b2", "b5"]
    geo = json.loads(
        CliRunner().invoke(main, ["gaps", "--kind", "grid_gap_area", "--format", "geojson"], env=env).output
    )
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["geometry"]["type"] == "Polygon"
    bad = CliRunner().invoke(main, ["gaps", "--kind", "nonsense"], env=env)
    assert bad.exit_code == 2 and "no_grid_leader" in bad.output
    unknown = CliRunner().invoke(main, ["coverage", "--area", "999999"], env=env)
    assert unknown.exit_code == 2 and "999999" in unknown.output


@pytest.fixture
def client(loaded, settings):
    with TestClient(create_app(settings)) as client:
        yield client


def test_api_coverage_tree(client, loaded):
    r = client.get(f"/api/coverage/{s.C1}")
    assert r.status_code == 200
    body = r.json()
    assert body["area"]["level"] == "community" and len(body["children"]) == 4
    # written in one pass (gridsvc.jsonbody), the same tree the service computes, as compact JSON
    assert r.headers["content-type"] == "application/json"
    assert r.content.decode() == json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    tree = coverage_service.coverage(loaded, s.C1).tree(s.C1)
    assert body == json.loads(json.dumps(tree)) | {"generated": False}
    assert client.get("/api/coverage/123").status_code == 422
    assert client.get("/api/coverage/999999").status_code == 404


def test_api_gaps_geojson(client):
    body = client.get("/api/gaps", params={"area": s.DISTRICT, "kind": "org_should_build"}).json()
    assert body["type"] == "FeatureCollection"
    assert sorted(f["properties"]["object_id"] for f in body["features"]) == ["o2", "o7"]
    assert body["features"][0]["geometry"]["type"] == "Point"
    high = client.get("/api/gaps", params={"severity": "high"}).json()["features"]
    assert high and all(f["properties"]["severity"] == "high" for f in high)
    assert client.get("/api/gaps", params={"kind": "nonsense"}).status_code == 422


def test_api_grid_coverage(client):
    body = client.get(f"/api/grids/{s.G1}/coverage").json()
    assert body["area"]["layer"] == "governance"
    assert {b["id"]: b["status"] for b in body["buildings"]} == {
        "b1": "covered",
        "b2": "eligible_uncovered",
        "b4": "fine",
    }
    assert {p["id"] for p in body["staff"]} == {"L1", "W1"}
    assert all("****" in p["phone"] for p in body["staff"])
    assert client.get("/api/grids/329902001001099/coverage").status_code == 404


def test_api_and_cli_alignment(client, settings):
    body = client.get(f"/api/alignment/{s.C1}").json()
    assert set(body) == {"community", "community_name", "alignment_rate", "pairs", "unmatched", "moves"}
    assert body["community_name"] == "东社区"
    assert body["alignment_rate"]["numerator"] == 90 and body["alignment_rate"]["denominator"] == 105
    assert body["pairs"][0] == {
        "party": s.P1,
        "governance": s.G1,
        "party_name": "P1",
        "governance_name": "G1",
        "households": 70,
        "iou": pytest.approx(0.8333, abs=1e-3),
    }
    assert {m["building_id"] for m in body["moves"]} == {"b4", "b5"}
    assert client.get(f"/api/alignment/{s.DISTRICT}").status_code == 422
    assert client.get("/api/alignment/329902001009").status_code == 404
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    table = CliRunner().invoke(main, ["alignment", s.C1], env=env).output
    assert "两网融合" in table and "90/105" in table and "楼栋长换网格（马）" in table  # a name, not BL4
    as_json = json.loads(CliRunner().invoke(main, ["alignment", s.C1, "--format", "json"], env=env).output)
    assert as_json["alignment_rate"] == body["alignment_rate"]


def test_thresholds_are_configuration(loaded, settings):
    """domain.md: thresholds are configuration with its defaults (GRIDSVC_HOUSEHOLDS_MIN, ...)."""
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    default = json.loads(
        CliRunner().invoke(main, ["gaps", "--kind", "household_band", "--format", "json"], env=env).output
    )
    assert len(default) == 6
    wide = env | {"GRIDSVC_HOUSEHOLDS_MIN": "1", "GRIDSVC_HOUSEHOLDS_MAX": "100000"}
    assert (
        json.loads(CliRunner().invoke(main, ["gaps", "--kind", "household_band", "--format", "json"], env=wide).output)
        == []
    )
    strict = env | {"GRIDSVC_BUILDING_GROUP_MIN_MEMBERS": "6"}  # only b7 (10 members) is then eligible
    tree = json.loads(
        CliRunner().invoke(main, ["coverage", "--area", s.DISTRICT, "--format", "json"], env=strict).output
    )
    assert tree["metrics"]["building_group_coverage"]["denominator"] == 1
    with TestClient(create_app(settings.model_copy(update={"households_per_fulltime_worker": 100}))) as client:
        overloaded = client.get("/api/gaps", params={"kind": "worker_overloaded"}).json()["features"]
    assert {f["properties"]["grid"] for f in overloaded} == {s.U2}  # 600 households; G1's 80 stay under 100
