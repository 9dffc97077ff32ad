"""schemathesis against the OpenAPI spec with authentication on: generated requests, valid and
invalid, by a scoped planner and by an unrestricted admin, never get a 5xx."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from gridsvc.api import create_app
from gridsvc.services import users
from gridsvc.settings import Settings
from tests.access import world

CALLERS = ["planner", "admin"]
SEEN: dict[tuple[str, str], set[int]] = {}  # (caller, operation): the statuses answered
# The spec does not depend on the database; the test's engine and settings are put in place below.
app = create_app(Settings(auth_required=True))
schema = schemathesis.openapi.from_dict(app.openapi())  # read without a request: no startup before the fixture
schema.app, schema.location = app, "/openapi.json"


@pytest.fixture(scope="module")
def tokens(engine, settings, tmp_path_factory):
    made = world.build(engine, tmp_path_factory.mktemp("fuzz"))
    app.state.engine = engine
    app.state.settings = settings.model_copy(update={"auth_required": True})
    return made


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, tokens):
    body = case.body
    if case.path == "/api/plans" and case.method == "POST" and isinstance(body, dict):
        limit = body.get("time_limit")
        if isinstance(limit, int | float) and not isinstance(limit, bool) and limit > 2:
            body["time_limit"] = 2.0  # keep generated proposals short
    for name in CALLERS:
        token = tokens[name]
        if case.path == "/api/auth/logout":  # logging out ends the token: spend a fresh one
            with app.state.engine.begin() as conn:
                token, _ = users.issue_token(conn, name, dt.timedelta(minutes=5))
        # the caller's token in place of whatever Authorization header was generated
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        SEEN.setdefault((name, f"{case.method} {case.path}"), set()).add(response.status_code)
        assert response.status_code < 500, (
            name,
            case.method,
            case.formatted_path,
            case.query,
            case.body,
            response.status_code,
            response.text[:500],
        )


def test_the_generated_requests_got_through_authentication():
    """Not 401s all the way: every operation that needs no code of an existing object (lists, the
    caller, the export, gaps ...) answered each caller with a success at least once."""
    assert SEEN, "the generated tests did not run first"
    documented = {f"{method.upper()} {path}" for path, methods in app.openapi()["paths"].items() for method in methods}
    for name in CALLERS:
        operations = {op for who, op in SEEN if who == name} & documented
        answered = {op for op in operations if any(s < 300 for s in SEEN[(name, op)])}
        assert len(operations) >= 30 and len(answered) >= 12, (name, sorted(answered))
    assert {403} <= SEEN[("planner", "GET /api/audit")]  # a planner may not read the audit log


MARK = "__not_a_number__"


def _poison(value):
    """``value`` with every number replaced by MARK (a body without numbers gets MARK in a new field)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return MARK
    if isinstance(value, list):
        return [_poison(v) for v in value]
    return {k: _poison(v) for k, v in value.items()}


@schema.include(method_regex="^(POST|PATCH|PUT)$").parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_non_finite_numbers_in_bodies_are_422_never_5xx(case, tokens):
    """The generated JSON bodies with NaN, Infinity or 1e309 in place of each number: always a 422."""
    if (
        case.method not in ("POST", "PATCH", "PUT")
        or case.media_type != "application/json"
        or not isinstance(case.body, dict)
    ):
        return  # generated cases of another method or without a JSON object body: nothing to poison
    poisoned = json.dumps(_poison(case.body) | ({} if MARK in json.dumps(_poison(case.body)) else {"x": MARK}))
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        for literal in ("NaN", "Infinity", "-Infinity", "1e309"):
            response = client.request(
                case.method,
                case.formatted_path,
                params=case.query,
                content=poisoned.replace(f'"{MARK}"', literal),
                headers={"Authorization": f"Bearer {tokens['planner']}", "Content-Type": "application/json"},
            )
            assert response.status_code == 422, (case.method, case.formatted_path, literal, response.text[:300])
