"""The database itself keeps a scoped session inside its scope: queries that skip every Python
check (repository functions, raw SQL, the coverage engine) still see and change only the scope."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gridsvc.errors import NotFound
from gridsvc.repository import edits
from gridsvc.repository import read as repo
from gridsvc.services import access
from gridsvc.services import coverage as coverage_service
from tests import coverage_scene as s
from tests.access import world


@pytest.fixture(scope="module")
def loaded(engine, tmp_path_factory):
    world.build(engine, tmp_path_factory.mktemp("rls"))
    return engine


def _as(engine, scope: str | None, role: str = "leader"):
    return access.scoped(engine, access.Principal("t", role, scope, identified=True))


@pytest.mark.parametrize("scope", [s.G1, s.C1, s.C2, s.DISTRICT])
def test_raw_sql_sees_only_the_scope(loaded, scope):
    expected = world.SEES[scope]
    with _as(loaded, scope).connect() as conn:
        for table, key, kind in (
            ("buildings", "id", "buildings"),
            ("organizations", "id", "organizations"),
            ("staff", "id", "staff"),
            ("party_orgs", "id", "party_orgs"),
            ("areas", "code", "areas"),
            ("facilities", "id", "facilities"),
        ):
            assert set(conn.execute(text(f"SELECT {key} FROM {table}")).scalars()) == expected[kind], table
        assert set(conn.execute(text("SELECT code FROM grids WHERE valid_to IS NULL")).scalars()) == expected["grids"]
        registered = text("SELECT organization_id || ':' || community_code FROM unit_registrations")
        assert set(conn.execute(registered).scalars()) == expected["registrations"]


def test_repository_without_the_python_check_returns_nothing_outside(loaded):
    """The API would answer 404 for C2 before asking; asked anyway, the database gives nothing."""
    with _as(loaded, s.G1).connect() as conn:
        assert repo.buildings(conn, community=s.C2).empty
        assert repo.grids(conn, community=s.C2).empty
        assert repo.staff(conn, grid=s.U2) == []
        assert repo.grid_exists(conn, s.U1) is False
    with pytest.raises(NotFound):  # the coverage engine, asked for C2 all the same, finds no such area
        coverage_service.coverage(_as(loaded, s.G1), s.C2)
    scene = coverage_service.coverage(_as(loaded, s.G1), None).scene  # and "everything" is the scope
    assert set(scene.buildings["id"]) == world.SEES[s.G1]["buildings"]
    assert set(scene.grids["code"]) == {s.G1}


def test_writes_outside_the_scope_are_refused(loaded):
    db = _as(loaded, s.G1)
    with db.begin() as conn:
        assert conn.execute(text("UPDATE buildings SET households = 1 WHERE id = 'b7'")).rowcount == 0
        assert conn.execute(text("DELETE FROM staff WHERE id = 'L4'")).rowcount == 0
    with pytest.raises(DBAPIError, match="row-level security"), db.begin() as conn:
        conn.execute(
            text("INSERT INTO assignments (staff_id, target_type, target_id) VALUES ('L1', 'grid', :g)"), {"g": s.U1}
        )
    with pytest.raises(DBAPIError, match="row-level security"), db.begin() as conn:
        edits.update_building(conn, "b1", {})  # inside: fine; moving it out of the scope is not
        conn.execute(text("UPDATE buildings SET rep_point = ST_Translate(rep_point, 0.01, 0) WHERE id = 'b1'"))
    with loaded.connect() as conn:
        assert conn.scalar(text("SELECT households FROM buildings WHERE id = 'b7'")) == 200
        assert conn.scalar(text("SELECT count(*) FROM staff WHERE id = 'L4'")) == 1


def test_accounts_are_out_of_reach_and_no_scope_sees_nothing(loaded):
    with _as(loaded, s.C1).connect() as conn:
        for table in ("users", "tokens", "login_failures", "audit_log", "imports"):
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.execute(text(f"SELECT * FROM {table}"))
            conn.rollback()
    # the scoped role without a scope setting (a session set up by hand) sees no row at all
    with loaded.connect() as conn:
        conn.execute(text(f"SET LOCAL ROLE {access.SCOPED_ROLE}"))
        assert conn.scalar(text("SELECT count(*) FROM buildings")) == 0
        assert conn.scalar(text("SELECT count(*) FROM areas")) == 0


def test_pooled_connections_return_unscoped(loaded):
    with _as(loaded, s.G1).connect() as conn:
        assert conn.scalar(text("SELECT current_user")) == access.SCOPED_ROLE
    for _ in range(3):  # whatever connection the pool hands out next
        with loaded.connect() as conn:
            assert conn.scalar(text("SELECT current_user")) != access.SCOPED_ROLE
            assert conn.scalar(text("SELECT count(*) FROM buildings")) == 8
            assert conn.scalar(text("SELECT current_setting('gridsvc.scope', true)")) in ("", None)


def test_a_registration_is_written_only_by_its_community(loaded):
    """C2's account sees o7's registration with C1 but cannot move it, nor register a unit with C1."""
    db = _as(loaded, s.C2)
    with db.begin() as conn:
        moved = conn.execute(
            text("UPDATE unit_registrations SET community_code = :c WHERE organization_id = 'o7'"), {"c": s.C2}
        )
        assert moved.rowcount == 0
    with pytest.raises(DBAPIError, match="row-level security"), db.begin() as conn:
        conn.execute(
            text("INSERT INTO unit_registrations (organization_id, community_code) VALUES ('o5', :c)"), {"c": s.C1}
        )
    with db.begin() as conn:  # with its own community: fine
        conn.execute(
            text("INSERT INTO unit_registrations (organization_id, community_code) VALUES ('o5', :c)"), {"c": s.C2}
        )
        conn.execute(text("DELETE FROM unit_registrations WHERE organization_id = 'o5'"))
