"""Recording fixes where the gap is shown (issue 21), through the API the map's forms use, with
authentication on: a grid leader appoints a building leader (a new person, or one already working
in the area), the old leader's assignment ends that day, the gap goes, and the building's history
tells who did it; outside the scope, for a viewer, or with a bad value, nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gridsvc.api import create_app
from tests import coverage_scene as s
from tests.access import world
from tests.conftest import fingerprint


@pytest.fixture
def as_user(engine, settings, tmp_path):
    tokens = world.build(engine, tmp_path)
    client = TestClient(create_app(settings.model_copy(update={"auth_required": True})))

    def call(name: str, method: str, url: str, **kwargs):
        return client.request(method, url, headers={"Authorization": f"Bearer {tokens[name]}"}, **kwargs)

    with client:
        yield call


def _leaders(engine, building: str) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text("""SELECT s.name, s.phone, a.start_date, a.end_date FROM assignments a JOIN staff s ON s.id = a.staff_id
                    WHERE a.target_type = 'building' AND a.target_id = :b AND s.role = 'building_leader'
                    ORDER BY a.id"""),
            {"b": building},
        ).all()


def test_a_grid_leader_appoints_a_new_building_leader(as_user, engine):
    before = _leaders(engine, "b2")
    answer = as_user(
        "leader",
        "POST",
        "/api/buildings/b2/leader",
        json={"name": "周敏", "phone": "139 0000 1111", "start_date": "2026-11-01"},  # typed in groups on a phone
    )
    assert answer.status_code == 201, answer.text  # stored without the blanks, as imports store it
    after = _leaders(engine, "b2")
    start = dt.date(2026, 11, 1)
    assert after[-1][:4] == ("周敏", "13900001111", start, None)
    assert all(row[3] is not None and row[3] <= start for row in after[: len(before)])  # no one else leads on
    assert len(after) == len(before) + 1
    history = as_user("leader", "GET", "/api/buildings/b2/history").json()
    added = next(e for e in history if e["action"] == "staff.add")
    assert added["after"]["name"] == "周敏" and added["actor"] == "leader"
    assert {e["action"] for e in history} >= {"staff.add", "assignment.add"}


def test_one_of_the_areas_staff_can_be_appointed(as_user, engine):
    answer = as_user("leader", "POST", "/api/buildings/b2/leader", json={"staff_id": "BL1"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["assignment"]["staff_id"] == "BL1"
    staff = s.frames()["staff"].set_index("id")
    assert _leaders(engine, "b2")[-1][0] == staff.loc["BL1", "name"]


@pytest.mark.parametrize(
    ("who", "url", "body", "status", "says"),
    [
        (
            "leader",
            "/api/buildings/b7/leader",
            {"name": "外人", "phone": "13900002222"},
            404,
            "你的范围内没有楼栋 'b7'",
        ),
        ("viewer", "/api/buildings/b7/leader", {"name": "甲", "phone": "13900002222"}, 403, "无权"),
        ("leader", "/api/buildings/b2/leader", {"name": "乙", "phone": "call me"}, 422, "phone"),
        ("leader", "/api/buildings/b2/leader", {"phone": "13900002222"}, 422, "staff_id"),
        ("leader", "/api/buildings/b2/leader", {"staff_id": "L3", "name": "丙"}, 422, "二者选一"),
        ("leader", "/api/buildings/b2/leader", {"staff_id": "L3"}, 404, "你的范围内没有工作人员 'L3'"),
        ("leader", "/api/buildings/b2", {"households": -3}, 422, "households"),
    ],
)
def test_refused_with_the_field_named_and_nothing_stored(as_user, engine, who, url, body, status, says):
    before = {t: v for t, v in fingerprint(engine).items() if t not in ("tokens", "login_failures")}
    method = "PATCH" if url.endswith("/b2") else "POST"
    answer = as_user(who, method, url, json=body)
    assert answer.status_code == status and says in str(answer.json()), answer.text
    after = {t: v for t, v in fingerprint(engine).items() if t not in ("tokens", "login_failures")}
    assert after == before


def test_an_end_before_its_start_is_refused(as_user, engine):
    with engine.connect() as conn:
        assignment = conn.scalar(text("SELECT id FROM assignments WHERE staff_id = 'BL2' AND target_id = 'b2'"))
        start = conn.scalar(text("SELECT start_date FROM assignments WHERE id = :i"), {"i": assignment})
    before = fingerprint(engine)["assignments"]
    answer = as_user("leader", "POST", f"/api/assignments/{assignment}/end", json={"end_date": "1990-01-01"})
    assert answer.status_code == 422 and "早于这项分工的开始日期" in answer.text, (answer.text, start)
    assert fingerprint(engine)["assignments"] == before


def test_the_sitting_leader_hands_over_on_the_day(as_user, engine):
    sitting = [row for row in _leaders(engine, "b1") if row[3] is None]
    assert sitting, "b1 has a sitting leader in the scene"
    answer = as_user("leader", "POST", "/api/buildings/b1/leader", json={"name": "新楼长", "start_date": "2026-11-15"})
    assert answer.status_code == 201 and len(answer.json()["ended"]) == len(sitting)
    rows = _leaders(engine, "b1")
    assert [r[3] for r in rows if r[0] == sitting[0][0]] == [dt.date(2026, 11, 15)]
    assert rows[-1][0] == "新楼长" and rows[-1][3] is None


def test_organizations_liaison_and_flags_by_role_and_scope(as_user, engine):
    """Planners may record organizations (not buildings); a planner of C1 cannot reach C2's o6."""
    assert as_user("planner", "POST", "/api/organizations/o6/liaison", json={"name": "甲"}).status_code == 404
    assert as_user("viewer", "PATCH", "/api/organizations/o6", json={"has_union": True}).status_code == 403
    assert as_user("planner", "PATCH", "/api/buildings/b1", json={"households": 5}).status_code == 403
    flags = as_user("planner", "PATCH", "/api/organizations/o2", json={"has_union": True})
    assert flags.status_code == 200 and flags.json()["has_union"] is True
    sent = as_user("admin", "POST", "/api/organizations/o6/liaison", json={"name": "孙指导", "phone": "13900004444"})
    assert sent.status_code == 201, sent.text
    with engine.connect() as conn:
        row = conn.execute(
            text("""SELECT s.role, s.name FROM assignments a JOIN staff s ON s.id = a.staff_id
                    WHERE a.target_type = 'organization' AND a.target_id = 'o6'""")
        ).one()
        union = conn.scalar(text("SELECT has_union FROM organizations WHERE id = 'o2'"))
    assert tuple(row) == ("liaison", "孙指导") and union is True


def test_a_party_group_set_up_covers_its_buildings(as_user, engine):
    from gridsvc.services import coverage as coverage_service

    def uncovered() -> set:
        gaps = coverage_service.coverage(engine, s.C1).gap_list(s.C1)
        return set(gaps.loc[gaps["kind"] == "building_group_missing", "object_id"])

    assert "b2" in uncovered()
    made = as_user(
        "leader", "POST", "/api/party-groups", json={"name": "2号楼党小组", "full_members": 5, "buildings": ["b2"]}
    )
    assert made.status_code == 201, made.text
    assert made.json()["buildings"] == ["b2"] and made.json()["parent_id"]  # under the Party grid's branch
    assert "b2" not in uncovered()
    history = as_user("leader", "GET", "/api/buildings/b2/history").json()
    assert any(e["action"] == "building.party_group" and e["after"]["name"] == "2号楼党小组" for e in history)
    before = fingerprint(engine)["party_orgs"]
    outside = as_user("leader", "POST", "/api/party-groups", json={"name": "外", "buildings": ["b2", "b7"]})
    assert outside.status_code == 404 and "b7" in outside.text
    assert fingerprint(engine)["party_orgs"] == before


def test_grid_staff_come_and_go(as_user, engine):
    """From the grid page: a new grid leader replaces the sitting one on the day; a worker is added
    and later leaves; a leaving date before the start is refused with nothing stored."""
    made = as_user(
        "leader",
        "POST",
        f"/api/grids/{s.G1}/staff",
        json={"role": "grid_leader", "name": "新网格长", "phone": "13900005555", "start_date": "2026-11-20"},
    )
    assert made.status_code == 201, made.text
    assert [e["staff_id"] for e in made.json()["ended"]] == ["L1"]
    worker = as_user(
        "leader",
        "POST",
        f"/api/grids/{s.G1}/staff",
        json={"role": "grid_worker", "name": "新网格员", "start_date": "2026-11-20"},
    )
    assert worker.status_code == 201 and worker.json()["ended"] == []
    staff_id = worker.json()["assignment"]["staff_id"]
    before = fingerprint(engine)["assignments"]
    early = as_user("leader", "POST", f"/api/grids/{s.G1}/staff/{staff_id}/end", json={"end_date": "2026-01-01"})
    assert early.status_code == 422 and "早于这项分工的开始日期" in early.text, early.text
    assert fingerprint(engine)["assignments"] == before
    left = as_user("leader", "POST", f"/api/grids/{s.G1}/staff/{staff_id}/end", json={"end_date": "2026-11-30"})
    assert left.status_code == 200, left.text
    assert (
        as_user("leader", "POST", f"/api/grids/{s.U1}/staff", json={"role": "grid_worker", "name": "甲"}).status_code
        == 404
    )


def test_an_organizations_own_party_organization(as_user, engine):
    """o2 should build its own Party organization (4 full members): recorded, the gap goes."""
    from gridsvc.services import coverage as coverage_service

    def should_build() -> set:
        gaps = coverage_service.coverage(engine, s.C1).gap_list(s.C1)
        return set(gaps.loc[gaps["kind"] == "org_should_build", "object_id"])

    assert "o2" in should_build()
    made = as_user(
        "planner", "POST", "/api/organizations/o2/party-org", json={"name": "乙协会党支部", "full_members": 4}
    )
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == "branch" and made.json()["parent_id"] == "c1"  # under the community's committee
    assert "o2" not in should_build()
    bad = as_user("planner", "POST", "/api/organizations/o2/party-org", json={"name": "x", "kind": "group"})
    assert bad.status_code == 422 and "kind" in bad.text


def test_a_grids_history_is_one_call_away(as_user):
    made = as_user("leader", "POST", f"/api/grids/{s.G1}/staff", json={"role": "grid_worker", "name": "郑记录"})
    assert made.status_code == 201
    history = as_user("leader", "GET", f"/api/grids/{s.G1}/history").json()
    assert history[0]["action"] == "assignment.add" and any(e["after"].get("name") == "郑记录" for e in history)
    assert as_user("leader", "GET", f"/api/grids/{s.U1}/history").status_code == 404
