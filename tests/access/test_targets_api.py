"""Targets over HTTP (domain.md §8.5, issue 19 item 5) with authentication on, on the hand-drawn
district of tests/access/world.py: the C1 planner sets and removes C1's targets (audited), not C2's
or the district's; leaders and viewers only read; bad values are 422 naming the field; a target missed
after its due date is a gap. C1's grid-leader rate is 50% (G1 has one leader, G2 two)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gridsvc.api import create_app
from tests import coverage_scene as s
from tests.access import world

GOAL = {"area_code": s.C1, "metric": "grid_leader_coverage", "value": 0.95, "due_date": "2027-06-30"}


@pytest.fixture
def as_user(engine, settings, tmp_path):
    tokens = world.build(engine, tmp_path)
    client = TestClient(create_app(settings.model_copy(update={"auth_required": True})))

    def call(name: str, method: str, url: str, **kwargs):
        return client.request(method, url, headers={"Authorization": f"Bearer {tokens[name]}"}, **kwargs)

    with client:
        yield call


def _audit(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT actor, action, target_id FROM audit_log WHERE action LIKE 'target.%' ORDER BY id")
        ).all()


def test_a_planner_sets_changes_and_removes_a_target_of_its_area(as_user, engine):
    made = as_user("planner", "PUT", "/api/targets", json=GOAL | {"note": "年度考核"})
    assert made.status_code == 201, made.text
    again = as_user("planner", "PUT", "/api/targets", json=GOAL | {"value": 0.9})
    assert again.status_code == 200 and again.json()["value"] == 0.9
    listed = as_user("planner", "GET", "/api/targets", params={"area": s.C1}).json()
    assert [(t["metric"], t["target"], t["current"], t["status"]) for t in listed] == [
        ("grid_leader_coverage", 0.9, 0.5, "open")
    ]
    assert listed[0]["label"] == "网格长配备率" and listed[0]["status_label"] == "未达标"
    gone = as_user("planner", "DELETE", f"/api/targets/{s.C1}/grid_leader_coverage/2027-06-30")
    assert gone.status_code == 204
    assert as_user("planner", "GET", "/api/targets", params={"area": s.C1}).json() == []
    key = f"{s.C1}:grid_leader_coverage:2027-06-30"
    assert _audit(engine) == [
        ("planner", "target.set", key),
        ("planner", "target.set", key),
        ("planner", "target.delete", key),
    ]


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("planner", GOAL | {"area_code": s.C2}, 404),  # another community
        ("planner", GOAL | {"area_code": s.DISTRICT}, 404),  # the district above its scope
        ("leader", GOAL, 403),
        ("viewer", GOAL | {"area_code": s.C2}, 403),
        ("admin", GOAL | {"area_code": "329902001009"}, 404),  # no such community
        ("admin", GOAL | {"value": 1.5}, 422),  # a rate above 100%
        ("admin", GOAL | {"metric": "no_such_metric"}, 422),
        ("admin", GOAL | {"area_code": "32990200100"}, 422),
        ("admin", GOAL | {"due_date": "next year"}, 422),
        ("admin", GOAL | {"value": -1}, 422),
    ],
)
def test_refused_targets_store_nothing(as_user, engine, who, body, status):
    answer = as_user(who, "PUT", "/api/targets", json=body)
    assert answer.status_code == status, answer.text
    assert "detail" in answer.json()
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM targets")) == 0


def test_a_target_past_its_due_date_is_a_gap_and_everyone_in_scope_reads_it(as_user):
    assert as_user("admin", "PUT", "/api/targets", json=GOAL | {"due_date": "2025-12-31"}).status_code == 201
    assert as_user("admin", "PUT", "/api/targets", json=GOAL | {"area_code": s.C2}).status_code == 201
    seen = as_user("viewer", "GET", "/api/targets", params={"area": s.C2}).json()
    assert [t["area"] for t in seen] == [s.C2]  # C1's target is not the C2 viewer's to see
    assert as_user("viewer", "GET", "/api/targets", params={"area": s.C1}).status_code == 404
    gaps = as_user("leader", "GET", "/api/gaps", params={"area": s.G1, "kind": "target_missed"})
    assert gaps.status_code == 200
    district = as_user("admin", "GET", "/api/gaps", params={"area": s.DISTRICT, "kind": "target_missed"}).json()
    rows = district["features"] if isinstance(district, dict) else district
    props = [r.get("properties", r) for r in rows]
    assert [p["object_id"] for p in props] == [f"{s.C1}:grid_leader_coverage:2025-12-31"]
    assert "逾期" in props[0]["message"]
