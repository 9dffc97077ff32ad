"""The failed-login brake under attack (issue 13): concurrent wrong passwords, a forged
X-Forwarded-For, and a flood from one address that must not lock other people out. Against a real
uvicorn server, configured as ``gridsvc serve`` configures it."""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gridsvc.api import create_app
from tests.access import world
from tests.browser.serving import serve

MAX_FAILURES = 5


@pytest.fixture
def accounts(db, settings, tmp_path):
    world.build(db, tmp_path)
    return settings.model_copy(
        update={"auth_required": True, "login_max_failures": MAX_FAILURES, "login_window_seconds": 600}
    )


def _failures(engine, **where) -> int:
    column, value = next(iter(where.items()))
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM login_failures WHERE {column} = :v"), {"v": value})


def test_concurrent_wrong_passwords_get_at_most_the_allowed_checks(accounts, db):
    with serve(create_app(accounts)) as base:

        def attempt(i: int) -> int:
            with httpx.Client(base_url=base, timeout=60) as client:
                return client.post("/api/auth/token", data={"username": "viewer", "password": f"guess-{i}"}).status_code

        with concurrent.futures.ThreadPoolExecutor(max_workers=60) as pool:
            answers = list(pool.map(attempt, range(60)))
    assert answers.count(401) == MAX_FAILURES and answers.count(429) == 60 - MAX_FAILURES
    assert _failures(db, user_name="viewer") == MAX_FAILURES  # each 401 is one password checked and counted


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(accounts, db):
    with serve(create_app(accounts)) as base, httpx.Client(base_url=base) as client:
        for i in range(MAX_FAILURES):  # an attacker on this machine claiming to be many addresses
            forged = {"X-Forwarded-For": f"10.0.0.{i}"}
            assert (
                client.post(
                    "/api/auth/token", data={"username": f"nobody{i}", "password": "x"}, headers=forged
                ).status_code
                == 401
            )
        assert _failures(db, client="127.0.0.1") == MAX_FAILURES  # counted against the real peer
        assert (
            client.post(
                "/api/auth/token",
                data={"username": "viewer", "password": "x"},
                headers={"X-Forwarded-For": "10.0.0.99"},
            ).status_code
            == 429
        )
    behind_proxy = accounts.model_copy(update={"trusted_proxies": "127.0.0.1"})
    with serve(create_app(behind_proxy)) as base, httpx.Client(base_url=base) as client:
        answer = client.post(
            "/api/auth/token",
            data={"username": "planner", "password": world.password("planner")},
            headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.99"},
        )
        assert answer.status_code == 200  # the proxy's client, 10.0.0.99, has no failures
        client.post(
            "/api/auth/token",
            data={"username": "nobody", "password": "x"},
            headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.98"},
        )
    assert _failures(db, client="10.0.0.98") == 1


def test_a_flood_from_one_address_does_not_lock_out_others(accounts, db):
    app = create_app(accounts)
    with (
        TestClient(app, client=("198.51.100.1", 40000)) as attacker,
        TestClient(app, client=("198.51.100.2", 40000)) as colleague,
    ):
        for i in range(50):
            attacker.post("/api/auth/token", data={"username": "viewer", "password": f"guess-{i}"})
        assert _failures(db, client="198.51.100.1") == MAX_FAILURES  # refused unchecked once braked
        good = colleague.post("/api/auth/token", data={"username": "planner", "password": world.password("planner")})
        assert good.status_code == 200
        locked = colleague.post("/api/auth/token", data={"username": "viewer", "password": world.password("viewer")})
        assert locked.status_code == 429  # the attacked name itself waits out its window, from anywhere
