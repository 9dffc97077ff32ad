"""The workbench's API on the hand-drawn district (tests/coverage_scene.py), authentication on.

Community C1 adopted as a plan: G1 (x 0..120) holds b1 40, b2 30 and b4 10 households (80); G2 (120..200,
the governance gap given to it) holds b3 20, b5 5 and the office b6 (25). Every figure below is
countable from that drawing."""

from __future__ import annotations

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text

from gridsvc.api import create_app
from tests import coverage_scene as s
from tests.access import world


@pytest.fixture(scope="module")
def api(engine, settings, tmp_path_factory):
    tokens = world.build(engine, tmp_path_factory.mktemp("bench"))
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:

        def call(name: str, method: str, url: str, **kwargs):
            return client.request(method, url, headers={"Authorization": f"Bearer {tokens[name]}"}, **kwargs)

        made = call("planner", "POST", "/api/plans", json={"communities": [s.C1], "origin": "adopt_governance"})
        assert made.status_code == 201, made.text
        yield call, made.json()["id"], engine


def _households(panel) -> dict[str, int]:
    return {g["code"]: g["households"] for g in panel["grids"]}


def _line(x: float) -> list[list[float]]:
    """A north-south line at x (metres) across community C1, as the page sends it (lon/lat)."""
    line = s.lonlat([shapely.LineString([(s.X0 + x, s.Y0 - 5), (s.X0 + x, s.Y0 + 105)])]).iloc[0]
    return [list(c) for c in line.coords]


def test_a_planner_opens_previews_and_saves(api):
    call, plan_id, engine = api
    begun = call("planner", "GET", f"/api/plans/{plan_id}/workbench")
    assert begun.status_code == 200, begun.text
    body = begun.json()
    assert {f["id"]: f["properties"]["grid"] for f in body["buildings"]["features"]} == {
        "b1": s.G1, "b2": s.G1, "b4": s.G1, "b3": s.G2, "b5": s.G2, "b6": s.G2,
    }  # fmt: skip
    assert _households(body["panel"]) == {s.G1: 80, s.G2: 25}
    assert body["panel"]["alignment_rate"] == pytest.approx(100 / 105)  # b5 lies in no governance grid

    moved = call("planner", "POST", f"/api/plans/{plan_id}/preview", json={"edits": [_move(["b2"], s.G2)]}).json()
    assert _households(moved["panel"]) == {s.G1: 50, s.G2: 55}
    assert moved["grid_of"] == {"b2": s.G2}
    assert moved["panel"]["alignment_rate"] == pytest.approx(70 / 105)  # b1+b4 in G1, b3 (+ office) in G2
    assert moved["panel"]["households_changed"] == 30 and moved["panel"]["buildings_changed"] == ["b2"]
    assert [f["id"] for f in moved["grids"]["features"]] == [s.G1, s.G2]

    # split G1 at x = 85: b1 and b2 (70) keep the code, b4 (10) makes grid 005; then merge it back
    split = {"op": "split", "line": _line(85)}
    cut = call("planner", "POST", f"/api/plans/{plan_id}/preview", json={"edits": [split]}).json()
    new = s.C1 + "005"  # 001-004 are the live grids' codes
    assert _households(cut["panel"]) == {s.G1: 70, s.G2: 25, new: 10}
    assert cut["grid_of"] == {"b4": new}
    merged = {"op": "merge", "grids": [s.G1, new]}
    back = call("planner", "POST", f"/api/plans/{plan_id}/preview", json={"edits": [split, merged]}).json()
    assert _households(back["panel"]) == {s.G1: 80, s.G2: 25} and back["grid_of"] == {}

    made = {"op": "new", "buildings": ["b3"]}
    fresh = call("planner", "POST", f"/api/plans/{plan_id}/preview", json={"edits": [made]}).json()
    assert _households(fresh["panel"]) == {s.G1: 80, s.G2: 5, new: 20}

    saved = call("planner", "POST", f"/api/plans/{plan_id}/versions", json={"edits": [_move(["b2"], s.G2)]})
    assert saved.status_code == 201, saved.text
    version = saved.json()
    assert version["version"] == 2 and version["parent"] == plan_id
    chain = call("planner", "GET", f"/api/plans/{version['id']}/versions").json()
    assert [(v["id"], v["version"], v["origin"]) for v in chain] == [
        (plan_id, 1, "adopt_governance"),
        (version["id"], 2, "workbench"),
    ]
    shown = call("planner", "GET", f"/api/plans/{version['id']}").json()
    assert {f["id"] for f in shown["grids"]["features"]} == {s.G1, s.G2}
    with engine.connect() as conn:
        logged = conn.execute(
            text("SELECT actor, after FROM audit_log WHERE action = 'plan.edit' AND target_id = :id"),
            {"id": str(version["id"])},
        ).one()
    assert logged.actor == "planner" and logged.after["edits"] == [_move(["b2"], s.G2)]
    # the saved version's own validation: b2 now in G2
    diff = call("planner", "GET", f"/api/plans/{version['id']}/diff").json()
    assert "b2" in {b["building_id"] for b in diff["buildings"]}


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"op": "teleport"}, "不认识的操作"),
        ({"op": "move", "buildings": [], "to": s.G2}, "没有选中楼栋"),
        ({"op": "move", "buildings": ["b7"], "to": s.G2}, "方案的社区里没有楼栋 b7"),  # b7 is in C2
        ({"op": "move", "buildings": ["b1"], "to": s.U1}, f"方案里没有网格 {s.U1}"),
        ({"op": "merge", "grids": [s.G1]}, "合并至少要选两个不同的网格"),
        ({"op": "split", "line": [[1, 2]]}, "分割线至少要有两个不同的点"),
        ({"op": "split", "line": "<script>"}, "分割线至少要有两个不同的点"),
        ({"op": "split", "line": _line(300)}, "分割线没有把任何网格分成两边都有楼栋的两部分"),
    ],
)
def test_a_refused_edit_names_its_step_and_reason(api, edit, says):
    call, plan_id, _ = api
    answer = call("planner", "POST", f"/api/plans/{plan_id}/preview", json={"edits": [_move(["b2"], s.G2), edit]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith("第 2 步编辑") and says in answer.json()["detail"]


def test_only_planners_of_the_plan_s_area_edit(api):
    call, plan_id, _ = api
    for name in ("viewer", "leader", "district"):  # roles that may not plan
        for method, url, body in (
            ("GET", f"/api/plans/{plan_id}/workbench", None),
            ("POST", f"/api/plans/{plan_id}/preview", {"edits": []}),
            ("POST", f"/api/plans/{plan_id}/versions", {"edits": []}),
        ):
            assert call(name, method, url, json=body).status_code == 403, (name, url)
    assert call("admin", "GET", f"/api/plans/{plan_id}/workbench").status_code == 200
    assert call("planner", "GET", "/api/plans/999999/workbench").status_code == 404


def _move(ids, to):
    return {"op": "move", "buildings": ids, "to": to}
