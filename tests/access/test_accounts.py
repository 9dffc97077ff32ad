"""Accounts: logging in, token expiry, disabled users, the brake on failed logins, the CLI, the
audit log, and no personal data in logs."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text

from gridsvc.api import create_app
from gridsvc.cli import main
from gridsvc.services import users
from tests import coverage_scene as s
from tests.access import world


@pytest.fixture
def setup(db, settings, tmp_path):
    tokens = world.build(db, tmp_path)
    strict = settings.model_copy(update={"auth_required": True, "login_max_failures": 3, "login_window_seconds": 600})
    with TestClient(create_app(strict)) as client:
        yield client, tokens, db


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _login(client, name: str, password: str):
    return client.post("/api/auth/token", data={"username": name, "password": password})


def test_login_gives_a_working_token_and_logout_ends_it(setup):
    client, _, _ = setup
    r = _login(client, "leader", world.password("leader"))
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    token = r.json()["access_token"]
    me = client.get("/api/auth/me", headers=_bearer(token)).json()
    assert me == {
        "name": "leader",
        "role": "leader",
        "role_label": "网格长",
        "scope": s.G1,
        "registered": True,
        "sees_phones_in_scope": True,
    }
    assert client.post("/api/auth/logout", headers=_bearer(token)).json() == {"ended": True}
    assert client.get("/api/auth/me", headers=_bearer(token)).status_code == 401


def test_login_page_sets_a_cookie_that_opens_map_pages(setup):
    client, _, _ = setup
    client.cookies.clear()
    assert client.get(f"/maps/grids/{s.G1}").status_code == 401
    assert "用户名" in client.get("/login").text
    r = client.post(
        f"/login?next=/maps/grids/{s.G1}",
        data={"username": "leader", "password": "wrong-password"},
        follow_redirects=False,
    )
    assert r.status_code == 401 and "登录失败" in r.text
    r = client.post(
        f"/login?next=/maps/grids/{s.G1}",
        data={"username": "leader", "password": world.password("leader")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/maps/grids/{s.G1}"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    assert client.get(f"/maps/grids/{s.G1}").status_code == 200  # the browser's cookie now
    assert client.get(f"/maps/grids/{s.U1}").status_code == 404
    r = client.post(
        "/login?next=https://elsewhere.example/",
        data={"username": "leader", "password": world.password("leader")},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/docs"  # no redirect off this server
    client.cookies.clear()


def test_tokens_expire(setup):
    client, tokens, engine = setup
    assert client.get("/api/auth/me", headers=_bearer(tokens["viewer"])).status_code == 200
    with engine.begin() as conn:
        conn.execute(
            text("""UPDATE tokens SET expires_at = now() - interval '1 second'
                             WHERE user_id = (SELECT id FROM users WHERE name = 'viewer')""")
        )
    r = client.get("/api/grids", headers=_bearer(tokens["viewer"]))
    assert r.status_code == 401 and "过期" in r.json()["detail"]
    assert client.get("/api/auth/me", headers=_bearer(tokens["leader"])).status_code == 200  # others unaffected
    with engine.begin() as conn:  # a token made to live one minute ends one minute later
        token, expires = users.issue_token(conn, "viewer", dt.timedelta(minutes=1))
        lifetime = conn.scalar(text("SELECT expires_at - created_at FROM tokens WHERE expires_at = :e"), {"e": expires})
    assert lifetime == dt.timedelta(minutes=1)
    assert client.get("/api/auth/me", headers=_bearer(token)).status_code == 200


def test_disabled_users_are_shut_out(setup):
    client, tokens, engine = setup
    with engine.begin() as conn:
        users.set_disabled(conn, "planner", True)
    assert client.get("/api/grids", headers=_bearer(tokens["planner"])).status_code == 401
    assert _login(client, "planner", world.password("planner")).status_code == 401
    with engine.begin() as conn:
        with pytest.raises(Exception, match="已停用"):
            users.issue_token(conn, "planner", dt.timedelta(hours=1))
    with engine.begin() as conn:
        users.set_disabled(conn, "planner", False)
    assert _login(client, "planner", world.password("planner")).status_code == 200


def test_failed_logins_are_rate_limited(setup):
    client, _, engine = setup
    for _ in range(3):
        assert _login(client, "viewer", "wrong-password").status_code == 401
    r = _login(client, "viewer", world.password("viewer"))  # the right password, too late
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 600
    assert "登录失败次数过多" in r.json()["detail"]
    assert _login(client, "leader", world.password("leader")).status_code == 429  # the same client
    assert _login(client, "nobody", "whatever-it-is").status_code == 429
    with engine.begin() as conn:  # the window passes
        conn.execute(text("UPDATE login_failures SET at = at - interval '601 seconds'"))
    assert _login(client, "viewer", world.password("viewer")).status_code == 200


def test_cli_users_and_audit(db, settings, tmp_path):
    world.build(db, tmp_path)
    runner = CliRunner()
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    r = runner.invoke(
        main, ["user", "add", "wang", "--role", "leader", "--scope", s.G2], input="long-password\n", env=env
    )
    assert r.exit_code == 0, r.output
    assert "leader" in r.output and s.G2 in r.output
    r = runner.invoke(main, ["user", "add", "li", "--role", "viewer"], input="long-password\n", env=env)
    assert r.exit_code == 2 and "需要 --scope" in r.output
    r = runner.invoke(
        main, ["user", "add", "li", "--role", "viewer", "--scope", "329999"], input="long-password\n", env=env
    )
    assert r.exit_code == 2 and "329999" in r.output
    r = runner.invoke(main, ["user", "token", "wang"], env=env)
    assert r.exit_code == 0
    token = r.output.strip().splitlines()[-1]
    with TestClient(create_app(settings.model_copy(update={"auth_required": True}))) as client:
        grids = client.get("/api/grids", headers=_bearer(token)).json()
        assert [f["id"] for f in grids["features"]] == [s.G2]
        assert runner.invoke(main, ["user", "disable", "wang"], env=env).exit_code == 0
        assert client.get("/api/grids", headers=_bearer(token)).status_code == 401
    listed = runner.invoke(main, ["user", "list"], env=env).output
    assert "wang" in listed and "停用" in listed and "argon2" not in listed
    log = runner.invoke(main, ["audit", "--format", "json"], env=env)
    assert log.exit_code == 0
    import json

    entries = json.loads(log.output)
    actions = [(e["action"], e["target_id"]) for e in entries]
    assert (
        ("user.disable", "wang") in actions and ("token.issue", "wang") in actions and ("user.add", "wang") in actions
    )
    assert all(e["actor"].startswith("local:") for e in entries if e["target_id"] == "wang")
    shown = runner.invoke(main, ["audit"], env=env).output  # an admin reads what was done, not codes
    assert (
        "停用用户（user.disable）" in shown and "签发令牌（token.issue）" in shown and "新增用户（user.add）" in shown
    )
    assert "user wang" not in shown and " wang " in shown
    none = runner.invoke(main, ["audit", "--action", "plan.apply"], env=env).output
    assert none.strip() == "没有审计记录"
    with db.connect() as conn:
        stored = conn.scalar(text("SELECT password_hash FROM users WHERE name = 'wang'"))
    assert stored.startswith("$argon2id$") and "long-password" not in stored


def test_no_personal_data_in_logs(setup, caplog):
    client, tokens, _ = setup
    caplog.set_level(logging.DEBUG)
    _login(client, "leader", "a-wrong-secret")
    made = _login(client, "leader", world.password("leader")).json()["access_token"]
    client.get("/api/staff", headers=_bearer(made))
    client.get("/api/export", headers=_bearer(tokens["admin"]))
    client.patch("/api/buildings/b1", json={"households": 41}, headers=_bearer(made))
    logged = caplog.text
    secrets = [
        made,
        tokens["admin"],
        "a-wrong-secret",
        world.password("leader"),
        *world.PHONES.values(),
        *s.frames()["staff"]["name"],
    ]
    assert not [x for x in secrets if x in logged]


def test_every_audited_action_has_a_chinese_label():
    """Each action the code records (``audit.record(conn, "plan.apply", …)``, and the §8.1 records'
    ``<audit>.set``/``.delete``) reads in Chinese in ``gridsvc audit``."""
    import re
    from pathlib import Path

    import gridsvc
    from gridsvc.labels import AUDIT_ACTION_LABEL
    from gridsvc.services.cobuilding import RECORDS

    source = "\n".join(p.read_text() for p in Path(gridsvc.__file__).parent.rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\(\s*conn,\s*"([a-z_.]+)"', source))
    recorded |= set(re.findall(r'"(user\.(?:disable|enable))"', source))
    recorded |= {f"{r.audit}.{verb}" for r in RECORDS.values() for verb in ("set", "delete")}
    assert len(recorded) > 20 and recorded <= set(AUDIT_ACTION_LABEL), recorded - set(AUDIT_ACTION_LABEL)
