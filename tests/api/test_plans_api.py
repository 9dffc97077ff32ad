"""Plans over HTTP and on the command line, on the hand-drawn scene (tests/coverage_scene.py)."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from fastapi.testclient import TestClient

from gridsvc.api import create_app
from gridsvc.cli import main
from gridsvc.services import imports
from tests import coverage_scene as s
from tests import scenes


@pytest.fixture
def client(db, tmp_path, settings):
    imports.import_file(db, scenes.write(tmp_path / "coverage.gpkg", s.frames()))
    with TestClient(create_app(settings)) as c:
        yield c


def test_adopt_validate_diff_apply_history(client):
    created = client.post("/api/plans", json={"communities": [s.C1], "origin": "adopt_governance"})
    assert created.status_code == 201
    plan_id = created.json()["id"]
    shown = client.get(f"/api/plans/{plan_id}").json()
    assert shown["status"] == "draft" and {f["id"] for f in shown["grids"]["features"]} == {s.G1, s.G2}
    validation = client.get(f"/api/plans/{plan_id}/validation").json()
    assert validation["errors"] == 0, [
        (p["grid"], p["other"]) for p in validation["problems"] if p["severity"] == "error"
    ]
    diff = client.get(f"/api/plans/{plan_id}/diff").json()
    assert diff["metrics"][s.C1]["alignment_rate"]["after"]["value"] == 1.0
    applied = client.post(f"/api/plans/{plan_id}/apply")
    assert applied.status_code == 200 and applied.json()["grids_opened"] == 2
    assert client.post(f"/api/plans/{plan_id}/apply").status_code == 422  # already applied
    history = client.get("/api/buildings/b1/grids").json()
    assert [(r["layer"], r["code"]) for r in history][-1] == ("unified", s.G1)
    assert client.get("/api/alignment/" + s.C1).json()["alignment_rate"]["value"] == 1.0


def test_uploaded_plan_with_a_gap_is_refused_on_apply(client):
    half = gpd.GeoSeries([s.box(0, 0, 150, 100)], crs=s.METRIC).to_crs(4490).iloc[0]
    body = {
        "communities": [s.C1],
        "origin": "upload",
        "grids": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"name": "西半"}, "geometry": shapely.geometry.mapping(half)}
            ],
        },
    }
    plan_id = client.post("/api/plans", json=body).json()["id"]
    grids = client.get(f"/api/plans/{plan_id}").json()["grids"]["features"]
    assert [g["id"] for g in grids] == [s.C1 + "001"]  # numbered; the codes of replaced grids are free again
    refused = client.post(f"/api/plans/{plan_id}/apply")
    assert refused.status_code == 409
    assert "grid_gap_area" in {p["rule"] for p in refused.json()["problems"]}
    assert client.get("/api/plans/999/diff").status_code == 404


def test_cli_plan_commands(client, settings, tmp_path):
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    run = CliRunner()
    created = run.invoke(main, ["plan", "create", "-c", s.C1, "--adopt-governance"], env=env)
    assert created.exit_code == 0, created.output
    plan_id = created.output.strip().splitlines()[-1]
    checked = run.invoke(main, ["plan", "validate", plan_id, "--format", "json"], env=env)
    assert checked.exit_code == 0 and json.loads(checked.output)["errors"] == 0
    geojson = run.invoke(main, ["plan", "show", plan_id, "--format", "geojson"], env=env).output
    path = tmp_path / "edited.geojson"
    path.write_text(geojson, encoding="utf-8")
    copied = run.invoke(main, ["plan", "create", "-c", s.C1, "--from-file", str(path)], env=env)
    assert copied.exit_code == 0, copied.output  # the exported grids come back as a new draft
    diff = run.invoke(main, ["plan", "diff", plan_id], env=env)
    assert diff.exit_code == 0 and "待人工确定" in diff.output
    scored = client.get(f"/api/plans/{plan_id}/scores", params={"boundary_weight": 2})
    assert scored.status_code == 200 and scored.json()[0]["boundary_weight"] == 2
    assert client.get(f"/api/plans/{plan_id}/scores").json()[0]["boundary_weight"] == 0  # the plan's own
    bad = client.get(f"/api/plans/{plan_id}/scores", params={"boundary_weight": -1})
    assert bad.status_code == 422 and "boundary_weight" in bad.text
    applied = run.invoke(main, ["plan", "apply", plan_id], env=env)
    assert applied.exit_code == 0 and "起生效" in applied.output
    history = run.invoke(main, ["history", "b1"], env=env)
    assert history.exit_code == 0 and s.G1 in history.output
    assert run.invoke(main, ["plan", "create", "-c", s.C1], env=env).exit_code == 2
    negative = run.invoke(main, ["plan", "create", "-c", s.C1, "--propose", "--boundary-weight", "-1"], env=env)
    assert negative.exit_code == 2 and "--boundary-weight" in negative.output


def test_a_gbk_geojson_plan_is_read_as_imports_read_it_and_says_so(client, settings, tmp_path):
    """A plan drawn in a Chinese desktop GIS comes in GBK: the grids keep their names, and the
    encoding used is said (before: refused with Python's 'utf-8' codec error)."""
    half = gpd.GeoSeries([s.box(0, 0, 150, 100)], crs=s.METRIC).to_crs(4490).iloc[0]
    body = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "西半网格"}, "geometry": shapely.geometry.mapping(half)}
        ],
    }
    data = json.dumps(body, ensure_ascii=False).encode("gbk")
    path = tmp_path / "规划.geojson"
    path.write_bytes(data)
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    created = CliRunner().invoke(main, ["plan", "create", "-c", s.C1, "--from-file", str(path)], env=env)
    assert created.exit_code == 0, created.output
    assert "说明：" + str(path) + "：文字按 GB18030 读取（不是有效的 UTF-8）" in created.output
    plan_id = created.output.strip().splitlines()[-1]
    assert [g["properties"]["name"] for g in client.get(f"/api/plans/{plan_id}").json()["grids"]["features"]] == [
        "西半网格"
    ]
    uploaded = client.post(
        "/api/plans/upload",
        params={"community": s.C1},
        files={"file": ("规划.geojson", data, "application/geo+json")},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["notes"] == ["规划.geojson：文字按 GB18030 读取（不是有效的 UTF-8）"]
    assert client.get(f"/api/plans/{uploaded.json()['id']}").json()["grids"]["features"][0]["properties"]["name"] == (
        "西半网格"
    )
    binary = client.post("/api/plans/upload", files={"file": ("图.geojson", b"\x89PNG\xff\xfe\x00", "image/png")})
    assert (
        binary.status_code == 422
        and binary.json()["detail"] == "图.geojson：不是 GeoJSON 文件（文字既不是 UTF-8 也不是 GB18030）"
    )


def test_an_export_says_which_scopes_point_at_grids_a_plan_closed(db, tmp_path, settings):
    """Adopting the governance grids closes P2, which lies across G1 and G2: its branch's scope is
    left for a person to decide. Exported as it stands, the file could not be imported into a new
    database (nor back: '未知网格'), and nothing said so. The export now names the row, the import
    says the grid was closed, and the row pointed at a live grid imports."""
    frames = s.frames()
    frames["party_orgs"] = pd.concat(
        [frames["party_orgs"], pd.DataFrame([("brP2", "P2党支部", "branch")], columns=["id", "name", "kind"])]
    )
    extra = pd.DataFrame([("brP2", "grid", s.P2, None)], columns=["party_org_id", "target_type", "target_id", "own"])
    frames["party_org_scope"] = pd.concat([frames["party_org_scope"], extra.astype({"own": "boolean"})])
    imports.import_file(db, scenes.write(tmp_path / "coverage.gpkg", frames))
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    run = CliRunner()
    plan_id = run.invoke(main, ["plan", "create", "-c", s.C1, "--adopt-governance"], env=env).output.split()[-1]
    assert run.invoke(main, ["plan", "apply", plan_id], env=env).exit_code == 0
    out = tmp_path / "导出.gpkg"
    exported = run.invoke(main, ["export", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    closed = f"网格 '{s.P2}' 已撤销（方案应用后待人工确定）：请改为现有网格"
    assert "导出.gpkg 中有 1 处引用了文件以外的数据" in exported.output
    assert f"图层 'party_org_scope'，要素 party_org_id=brP2，字段 'target_id'：{closed}" in exported.output
    back = run.invoke(main, ["import", str(out)], env=env)
    assert back.exit_code == 2 and closed in back.output, back.output
    scope = gpd.read_file(out, layer="party_org_scope")
    scope.loc[scope["party_org_id"] == "brP2", "target_id"] = s.G2  # as the message asks
    pyogrio.write_dataframe(scope, out, layer="party_org_scope", driver="GPKG")
    fixed = run.invoke(main, ["import", str(out)], env=env)
    assert fixed.exit_code == 0, fixed.output


def test_a_grid_left_undecided_is_settled_by_a_person_and_its_branch_and_staff_follow(client, db, settings):
    """Adopting the governance grids closes P2 (across G1 and G2) with no clear successor: its
    branch's scope and its worker stayed on the closed grid, and only editing an export and importing
    it again could move them. ``plan settle`` (and POST /api/plans/{id}/settle) says where it went."""
    from sqlalchemy import text

    with db.begin() as conn:
        conn.execute(text("INSERT INTO party_orgs (id, name, kind) VALUES ('brP2', 'P2党支部', 'branch')"))
        conn.execute(
            text(
                f"INSERT INTO party_org_scopes (party_org_id, target_type, target_id) VALUES ('brP2', 'grid', '{s.P2}')"
            )
        )
        conn.execute(text("INSERT INTO staff (id, name, role, fulltime) VALUES ('wP2', '赵六', 'grid_worker', true)"))
        conn.execute(
            text(
                f"INSERT INTO assignments (staff_id, target_type, target_id, start_date) VALUES ('wP2', 'grid', '{s.P2}', '2024-01-01')"
            )
        )
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    run = CliRunner()
    plan_id = run.invoke(main, ["plan", "create", "-c", s.C1, "--adopt-governance"], env=env).output.split()[-1]
    applied = run.invoke(main, ["plan", "apply", plan_id], env=env)
    today = str(dt.date.today())
    assert f"  待人工确定: {s.P2} → " in applied.output
    assert f"gridsvc plan settle {plan_id} 原网格 新网格" in applied.output

    gaps = json.loads(run.invoke(main, ["gaps", "--area", s.C1, "--format", "json"], env=env).output)
    waiting = [g for g in gaps if g["kind"] == "left_on_closed_grid"]  # not only 网格未建党支部 for G2
    assert [(g["object_id"], g["grid"], g["community"]) for g in waiting] == [(s.P2, None, s.C1)]
    assert (
        f"已撤销的网格 P2（{s.P2}，{today} 撤销）仍是党组织 P2党支部 的范围、人员 赵六 的分配" in waiting[0]["message"]
    )
    assert f"gridsvc plan settle {plan_id} {s.P2} 新网格" in waiting[0]["message"]
    no_branch = {g["grid"]: g["message"] for g in gaps if g["kind"] == "no_grid_branch"}
    assert no_branch[s.G2].endswith("（本社区有原网格的党组织待定去向，见“党组织或人员仍在已撤销网格”）"), no_branch

    shown = run.invoke(main, ["plan", "show", plan_id], env=env).output
    assert f"自 {today} 起生效；待人工确定的原网格 1 个" in shown and f"  待人工确定: {s.P2} → " in shown
    listed = run.invoke(main, ["plan", "list"], env=env).output  # which plans still wait for a person
    assert next(line for line in listed.splitlines() if line.split()[0] == plan_id).split()[-1] == "1", listed

    wrong = run.invoke(main, ["plan", "settle", plan_id, s.P1, s.G2], env=env)
    assert wrong.exit_code == 2 and f"不是方案 {plan_id} 待人工确定的原网格（待定：{s.P2}）" in wrong.output
    nowhere = run.invoke(main, ["plan", "settle", plan_id, s.P2, "320199001001099"], env=env)
    assert nowhere.exit_code == 2 and "不是方案所涉社区的现有网格" in nowhere.output, nowhere.output
    settled = run.invoke(main, ["plan", "settle", plan_id, s.P2, s.G2], env=env)
    assert settled.exit_code == 0, settled.output
    assert (
        f"原网格 {s.P2} 已定为 {s.G2}：党组织范围 1 项、人员分配 1 项随之迁移；方案 {plan_id} 已无待人工确定的原网格"
        in settled.output
    )
    with db.connect() as conn:
        assert conn.scalar(text("SELECT target_id FROM party_org_scopes WHERE party_org_id = 'brP2'")) == s.G2
        rows = conn.execute(
            text("SELECT target_id, start_date, end_date FROM assignments WHERE staff_id = 'wP2' ORDER BY start_date")
        ).all()
        assert [(r[0], str(r[1]), str(r[2])) for r in rows] == [
            (s.P2, "2024-01-01", today),  # the history stays
            (s.G2, today, "None"),
        ]
        assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'plan.settle'")) == 1
    gaps = json.loads(run.invoke(main, ["gaps", "--area", s.C1, "--format", "json"], env=env).output)
    assert not [g for g in gaps if g["kind"] == "left_on_closed_grid"]
    assert s.G2 not in {g["grid"] for g in gaps if g["kind"] == "no_grid_branch"}  # the branch arrived
    shown = run.invoke(main, ["plan", "show", plan_id], env=env).output  # a planner coming back to it
    assert f"自 {today} 起生效；待人工确定的原网格 0 个" in shown and f"  已定去向: {s.P2} → {s.G2}" in shown
    listed = run.invoke(main, ["plan", "list"], env=env).output
    assert next(line for line in listed.splitlines() if line.split()[0] == plan_id).split()[-1] == "0", listed
    again = run.invoke(main, ["plan", "settle", plan_id, s.P2, s.G1], env=env)
    assert again.exit_code == 2 and "（待定：无）" in again.output
    shown = client.get(f"/api/plans/{plan_id}").json()
    assert shown["outcome"]["undecided"] == [] and shown["outcome"]["settled"][0]["to"] == s.G2


def test_settling_over_http_takes_a_planner(client, db):
    created = client.post("/api/plans", json={"communities": [s.C1], "origin": "adopt_governance"}).json()
    assert client.post(f"/api/plans/{created['id']}/apply", json={}).status_code == 200
    undecided = client.get(f"/api/plans/{created['id']}").json()["outcome"]["undecided"]
    assert [u["grid"] for u in undecided] == [s.P2]
    bad = client.post(f"/api/plans/{created['id']}/settle", json={"grid": s.P2, "to": "<b>x</b>"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/json"
    assert bad.json()["detail"][0]["loc"] == ["body", "to"]
    stranger = client.post(f"/api/plans/{created['id']}/settle", json={"grid": s.P1, "to": s.G1})
    assert stranger.status_code == 422 and "不是方案" in stranger.json()["detail"], stranger.text
    done = client.post(f"/api/plans/{created['id']}/settle", json={"grid": s.P2, "to": s.G1})
    assert done.status_code == 200, done.text
    assert done.json()["to"] == s.G1 and done.json()["undecided"] == []
