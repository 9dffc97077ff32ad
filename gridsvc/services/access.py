"""Who may see and change what: a :class:`Principal` (name, role, area scope) and the one way to
reach the database on its behalf, :func:`scoped`.

A scoped principal's connections run as the PostgreSQL role ``gridsvc_scoped`` with the session
setting ``gridsvc.scope``; row-level security (migration 0005) then keeps every row outside the
scope away, whatever the query asks. Python checks the codes a caller names first
(:meth:`Principal.check`, an out-of-scope code answers "not found") and the role
(:meth:`Principal.require`, "forbidden"); the database is the backstop for anything Python forgets.
Every connection also carries ``gridsvc.actor``, which the audit log records as "who".
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from sqlalchemy import Connection, Engine, text

from gridsvc.errors import Forbidden, NotFound
from gridsvc.labels import ACTION_LABEL, ROLE_LABEL, not_found

ROLES = ("admin", "planner", "leader", "viewer")
# What each role may do, inside its scope.
ALLOWED = {
    "read": set(ROLES),
    "plan": {"admin", "planner"},  # create, upload and apply redraw plans
    "snapshot": {"admin", "planner"},
    "edit": {"admin", "leader"},  # building figures and staff assignments
    "organize": {"admin", "planner", "leader"},  # organizations' liaisons, union and Youth League
    "target": {"admin", "planner"},  # targets (目标) of areas in the scope
    "admin": {"admin"},  # users and the audit log
}
SCOPED_ROLE = "gridsvc_scoped"


@dataclass(frozen=True)
class Principal:
    """A caller: ``scope`` is a district, street, community or grid code covering everything under
    it (None: everything). ``identified`` callers (registered users, the local admin) may see phone
    numbers of the staff working in their scope; anonymous callers never do."""

    name: str
    role: str
    scope: str | None = None
    user_id: int | None = None
    identified: bool = False

    def covers(self, code: str) -> bool:
        """Whether ``code`` (an area or grid) lies inside the scope."""
        return self.scope is None or code.startswith(self.scope)

    def check(self, code: str, what: str = "area") -> str:
        """``code`` if it lies inside the scope, else NotFound (whether or not it exists elsewhere)."""
        if not self.covers(code):
            raise NotFound(f"{not_found(what, code)}（你的范围：{self.scope}）")
        return code

    def may(self, action: str) -> bool:
        return self.role in ALLOWED[action]

    def require(self, action: str) -> None:
        if not self.may(action):
            raise Forbidden(
                f"{self.name}（{ROLE_LABEL[self.role]}，{self.role}）无权{ACTION_LABEL[action]}（{action}）"
            )

    def sees_phone(self, targets: Iterable[tuple[str, str]]) -> bool:
        """Whether the staff member with these (visible) assignment targets works inside the scope:
        a grid or community under it, or a building or organization (visible ones lie inside it)."""
        if not self.identified:
            return False
        if self.scope is None:
            return True
        return any(kind in ("building", "organization") or target.startswith(self.scope) for kind, target in targets)

    def phone(self, phone: str | None, targets: Iterable[tuple[str, str]]) -> str | None:
        """The phone number as this caller may see it: whole, or masked (``138****0001``)."""
        return phone if self.sees_phone(targets) else mask_phone(phone)

    def phones(
        self, staff_ids: Iterable[str], phones: Iterable[str | None], assignments: Iterable[tuple[str, str, str]]
    ) -> list[str | None]:
        """Many staff members' numbers as this caller may see them, judged by the (staff_id,
        target_type, target_id) assignments the caller can see."""
        targets: dict[str, list[tuple[str, str]]] = {}
        for staff_id, kind, target in assignments:
            targets.setdefault(staff_id, []).append((kind, target))
        return [self.phone(phone, targets.get(sid, [])) for sid, phone in zip(staff_ids, phones, strict=True)]


def area_in_scope(conn: Connection, principal: Principal, area: str) -> None:
    """NotFound unless ``area`` is a stored area inside the principal's scope (where a write names one)."""
    if not principal.covers(area) or conn.scalar(text("SELECT 1 FROM areas WHERE code = :a"), {"a": area}) is None:
        raise NotFound(not_found("area", area))


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits.

    >>> mask_phone("13800000001")
    '138****0001'
    """
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def local_admin() -> Principal:
    """The CLI on its own database: an unrestricted admin, named after the OS user."""
    return Principal(f"local:{getpass.getuser()}", "admin", identified=True)


ANONYMOUS = Principal("anonymous", "admin")  # API callers when authentication is off


class ScopedEngine:
    """The ``connect()``/``begin()`` of an Engine, with every connection set up for ``principal``."""

    def __init__(self, engine: Engine, principal: Principal):
        self.engine = engine
        self.principal = principal

    @property
    def url(self):
        return self.engine.url

    @property
    def scope(self) -> str | None:
        return self.principal.scope

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            _enter(conn, self.principal)
            try:
                yield conn
            finally:
                _leave(conn)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.connect() as conn, conn.begin():
            yield conn


def scoped(engine: Engine | ScopedEngine, principal: Principal) -> ScopedEngine:
    """The database as ``principal`` may see it."""
    base = engine.engine if isinstance(engine, ScopedEngine) else engine
    return ScopedEngine(base, principal)


def scope_of(engine) -> str | None:
    """The scope an engine's connections are limited to (None: everything)."""
    return getattr(engine, "scope", None)


def principal_of(engine) -> Principal:
    """Whom an engine's connections act for (a plain engine: its owner, the local admin)."""
    return getattr(engine, "principal", None) or local_admin()


# A request's queries (a tile, a page of features, one area's coverage) take milliseconds; when the
# planner deems one worth a parallel scan, each worker is a fresh process that loads PostGIS and PROJ
# first (30–80 ms): a z15 building tile served 20 requests/s instead of 90 (benchmarks/serving.py).
SERIAL = "SET max_parallel_workers_per_gather = 0; "


def _enter(conn: Connection, principal: Principal) -> None:
    """Set the session up before anything else runs: outside any transaction (so no rollback can undo
    it), in one round trip."""
    scope = sql.Literal(principal.scope or "")
    actor = sql.Literal(principal.name)
    role = f"SET ROLE {SCOPED_ROLE}; " if principal.scope is not None else ""
    setup = "SELECT set_config('gridsvc.scope', {}, false), set_config('gridsvc.actor', {}, false)"
    _session(conn, sql.SQL(role + SERIAL + setup).format(scope, actor))


def _session(conn: Connection, statements: sql.Composable) -> None:
    """``statements`` (several may be given: one round trip) on the connection's session, in autocommit."""
    raw = conn.connection.dbapi_connection
    if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raw.rollback()
    raw.autocommit = True
    try:
        raw.execute(statements)
    finally:
        raw.autocommit = False


def _leave(conn: Connection) -> None:
    """Back to the owner's plain session before the connection returns to the pool; a connection
    that cannot be reset (the database stopped meanwhile) is thrown away rather than reused."""
    try:
        conn.rollback()
        reset = "RESET ROLE; RESET max_parallel_workers_per_gather; "
        _session(
            conn,
            sql.SQL(reset + "SELECT set_config('gridsvc.scope', '', false), set_config('gridsvc.actor', '', false)"),
        )
    except Exception:  # noqa: BLE001 - a broken connection (the database went away) is simply discarded
        # closed, never reused: nothing of this session's scope can reach the next caller; the
        # request itself has already succeeded or failed on its own
        conn.invalidate()
