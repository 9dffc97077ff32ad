"""Registration and co-building over HTTP (domain.md §8.1, issue 19 item 1) with authentication on, on
the hand-drawn district of tests/access/world.py with o1 (C1) and o7 (C2) flagged resident units and
both registered with C1. The C1 planner records o1's agreement, a need, a seat (audited) and reads
them back; it cannot write C2's records or name C2's units; leaders set in-service counts on their
buildings, never more registered than live there; bad bodies are 422 naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import text

from gridsvc.api import cobuilding, create_app
from tests import coverage_scene as s
from tests.access import world

AGREEMENT = {"id": "a1", "area_code": s.C1, "organization_id": "o1", "valid_from": "2025-01-01"}
NEED = {
    "id": "n1",
    "area_code": s.C1,
    "list": "need",
    "kind": "助老",
    "description": "<b>送餐</b>",
    "opened_on": "2025-01-01",
}
SEAT = {"community_code": s.C1, "organization_id": "o1", "holder": "张三"}


@pytest.fixture
def as_user(engine, settings, tmp_path):
    tokens = world.build(engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE organizations SET resident_unit = true WHERE id IN ('o1', 'o7')"))
    client = TestClient(create_app(settings.model_copy(update={"auth_required": True})))

    def call(name: str, method: str, url: str, **kwargs):
        return client.request(method, url, headers={"Authorization": f"Bearer {tokens[name]}"}, **kwargs)

    with client:
        yield call


def _rows(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table}"))


def test_a_planner_records_and_reads_its_communitys_cobuilding(as_user, engine):
    lon, lat = s.lonlat([s.pt(20, 20)]).iloc[0].coords[0]
    assert as_user("planner", "PUT", "/api/cobuilding/agreements", json=AGREEMENT).status_code == 201
    made = as_user("planner", "PUT", "/api/cobuilding/items", json=NEED | {"lon": lon, "lat": lat})
    assert made.status_code == 201, made.text
    assert as_user("planner", "PUT", "/api/cobuilding/seats", json=SEAT).status_code == 201
    again = as_user("planner", "PUT", "/api/cobuilding/items", json=NEED | {"status": "matched"})
    assert again.status_code == 200 and again.json()["status"] == "matched"
    seen = as_user("planner", "GET", "/api/cobuilding", params={"area": s.C1}).json()
    cobuilding.Cobuilding.model_validate(seen)  # the answer is the documented one
    units = {u["id"]: u for u in seen["units"]}
    assert set(units) == {"o1"}  # o7 stands in C2
    assert (
        units["o1"]["registration"],
        units["o1"]["agreement_in_force"],
        units["o1"]["seat"],
    ) == ("registered", True, True)
    assert units["o1"]["registration_label"] == "已到所在社区报到"
    (item,) = seen["items"]
    assert (item["description"], item["status_label"], item["location"], item["unmet"]) == (
        "<b>送餐</b>",
        "已对接",
        None,
        False,
    )
    assert seen["figures"]["cobuilding_rate"]["value"] == 1.0
    with engine.connect() as conn:
        audit = conn.execute(
            text(
                "SELECT actor, action, target_id FROM audit_log WHERE actor = 'planner' "
                "AND action NOT LIKE 'token.%' ORDER BY id"
            )
        ).all()
    assert audit == [
        ("planner", "agreement.set", "a1"),
        ("planner", "cobuilding_item.set", "n1"),
        ("planner", "seat.set", f"{s.C1}:o1"),
        ("planner", "cobuilding_item.set", "n1"),
    ]
    assert as_user("planner", "DELETE", f"/api/cobuilding/seats/{s.C1}/o1").status_code == 204
    assert as_user("planner", "DELETE", "/api/cobuilding/agreements/a1").status_code == 204
    after = as_user("planner", "GET", "/api/cobuilding", params={"area": s.C1}).json()
    assert after["units"][0]["agreement_in_force"] is False and after["seats"] == []


def test_an_open_need_with_a_place_is_unmet_after_90_days(as_user):
    lon, lat = s.lonlat([s.pt(20, 20)]).iloc[0].coords[0]
    as_user("admin", "PUT", "/api/cobuilding/items", json=NEED | {"lon": lon, "lat": lat})
    assert as_user("viewer", "GET", "/api/cobuilding", params={"area": s.C1}).status_code in (403, 404)
    assert as_user("viewer", "GET", "/api/cobuilding", params={"area": s.C2}).json()["items"] == []  # C1's need
    (item,) = as_user("planner", "GET", "/api/cobuilding", params={"area": s.C1}).json()["items"]
    assert item["unmet"] is True and item["location"] == pytest.approx([lon, lat], abs=1e-6)


def test_registering_a_unit_elsewhere_shows_and_moves(as_user):
    answer = as_user("admin", "PUT", "/api/registrations", json={"organization_id": "o7", "community_code": s.C2})
    assert answer.status_code == 201, answer.text
    units = {
        u["id"]: u for u in as_user("admin", "GET", "/api/cobuilding", params={"area": s.DISTRICT}).json()["units"]
    }
    assert units["o7"]["registered_with"] == [s.C1, s.C2] and units["o1"]["registration"] == "registered"
    assert as_user("admin", "DELETE", f"/api/registrations/o7/{s.C2}").status_code == 204


@pytest.mark.parametrize(
    ("who", "url", "body", "status"),
    [
        ("planner", "/api/cobuilding/agreements", AGREEMENT | {"area_code": s.C2}, 404),  # another community
        ("planner", "/api/cobuilding/agreements", AGREEMENT | {"organization_id": "o7"}, 422),  # a unit out of sight
        ("viewer", "/api/cobuilding/agreements", AGREEMENT | {"area_code": s.C2}, 403),
        ("admin", "/api/cobuilding/agreements", AGREEMENT | {"valid_to": "2024-12-31"}, 422),
        ("admin", "/api/cobuilding/agreements", AGREEMENT | {"area_code": s.DISTRICT}, 422),  # a district
        ("admin", "/api/cobuilding/items", NEED | {"lon": 118.8}, 422),  # no lat
        ("admin", "/api/cobuilding/items", NEED | {"list": "wish"}, 422),
        ("admin", "/api/cobuilding/items", NEED | {"building_id": "b99"}, 422),
        ("admin", "/api/cobuilding/seats", SEAT | {"community_code": "329902001009"}, 404),
        ("planner", "/api/registrations", {"organization_id": "o1", "community_code": s.C2}, 404),
    ],
)
def test_refused_writes_store_nothing(as_user, engine, who, url, body, status):
    answer = as_user(who, "PUT", url, json=body)
    assert answer.status_code == status, answer.text
    assert "detail" in answer.json()
    for table in ("cobuilding_agreements", "cobuilding_items", "unit_seats"):
        assert _rows(engine, table) == 0
    assert _rows(engine, "unit_registrations") == 2


def test_removing_what_is_not_there_or_not_yours_is_404(as_user):
    as_user(
        "admin",
        "PUT",
        "/api/cobuilding/agreements",
        json=AGREEMENT | {"id": "a7", "area_code": s.C2, "organization_id": "o7"},
    )
    assert as_user("planner", "DELETE", "/api/cobuilding/agreements/a7").status_code == 404
    assert as_user("planner", "DELETE", "/api/cobuilding/agreements/nothing").status_code == 404
    assert as_user("admin", "DELETE", "/api/cobuilding/agreements/a7").status_code == 204


def test_in_service_counts_are_a_buildings_figures(as_user):
    too_many = as_user(
        "leader", "PATCH", "/api/buildings/b1", json={"in_service_members": 4, "in_service_registered": 5}
    )
    assert too_many.status_code == 422 and "in_service_registered 5" in too_many.json()["detail"]
    ok = as_user("leader", "PATCH", "/api/buildings/b1", json={"in_service_members": 4, "in_service_registered": 3})
    assert ok.status_code == 200 and ok.json()["in_service_registered"] == 3
    figure = as_user("admin", "GET", "/api/cobuilding", params={"area": s.C1}).json()["figures"][
        "member_registration_rate"
    ]
    assert (figure["numerator"], figure["denominator"]) == (3, 4)


def test_facilities_are_listed_added_moved_and_removed_inside_the_scope(as_user, engine):
    listed = as_user("planner", "GET", "/api/facilities", params={"area": s.C1}).json()
    TypeAdapter(list[cobuilding.Facility]).validate_python(listed)
    assert [(f["id"], f["community"], f["level_label"]) for f in listed] == [("f1", s.C1, "社区党群服务中心")]
    here = s.lonlat([s.pt(150, 50)]).iloc[0]
    there = s.lonlat([s.pt(300, 60)]).iloc[0]
    station = {"id": "f3", "name": "<i>站</i>", "level": "grid_station", "lon": here.x, "lat": here.y}
    made = as_user("planner", "PUT", "/api/facilities", json=station)
    assert made.status_code == 201 and made.json()["community"] == s.C1, made.text
    assert (
        as_user("planner", "PUT", "/api/facilities", json=station | {"lon": there.x, "lat": there.y}).status_code == 404
    )
    assert as_user("viewer", "PUT", "/api/facilities", json=station).status_code == 403
    assert as_user("admin", "PUT", "/api/facilities", json=station | {"level": "palace"}).status_code == 422
    assert as_user("planner", "DELETE", "/api/facilities/f2").status_code == 404  # C2's
    assert {f["id"] for f in as_user("admin", "GET", "/api/facilities", params={"area": s.DISTRICT}).json()} == {
        "f1",
        "f2",
        "f3",
    }
    assert as_user("planner", "DELETE", "/api/facilities/f3").status_code == 204
    with engine.connect() as conn:
        actions = conn.execute(
            text("SELECT action, target_id FROM audit_log WHERE action LIKE 'facility.%' ORDER BY id")
        ).all()
    assert actions == [("facility.set", "f3"), ("facility.delete", "f3")]
