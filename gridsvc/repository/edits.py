"""Edits of single records by the people who keep them (grid leaders): a building's figures, a
staff member's assignments. Each edit is checked, written and audited in the caller's transaction;
row-level security keeps it inside the caller's scope."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import Connection, text

from gridsvc.errors import InvalidInput, NotFound
from gridsvc.labels import not_found, thing_word
from gridsvc.repository import audit
from gridsvc.repository.predicates import active_on

BUILDING_FIELDS = (
    "name",
    "address",
    "use",
    "floors",
    "units",
    "households",
    "residents",
    "full_members",
    "probationary_members",
    "in_service_members",  # domain.md §8.1: in-service members living here, and those registered
    "in_service_registered",
)
ASSIGNMENT_COLUMNS = "id, staff_id, target_type, target_id, start_date, end_date"


def update_building(conn: Connection, building_id: str, changes: dict) -> dict:
    """Change some of a building's recorded figures; returns the building's fields after."""
    unknown = set(changes) - set(BUILDING_FIELDS)
    if unknown:
        raise InvalidInput(f"不能修改 {', '.join(sorted(unknown))}；楼栋可修改的字段是 " + ", ".join(BUILDING_FIELDS))
    before = _changed(conn, "buildings", "building", building_id, BUILDING_FIELDS, changes)
    after = before | changes
    if (after["in_service_registered"] or 0) > (after["in_service_members"] or 0):
        raise InvalidInput(
            f"in_service_registered {after['in_service_registered']}：多于楼栋 {building_id!r} "
            f"居住的在职党员人数 {after['in_service_members'] or 0}"
        )
    if changes:
        audit.record(conn, "building.update", "building", building_id, {k: before[k] for k in changes}, changes)
    return before | changes


def _changed(conn: Connection, table: str, what: str, row_id: str, fields, changes: dict) -> dict:
    """``fields`` of row ``row_id`` as they were (locked, NotFound outside the caller's sight), with
    ``changes`` written over them; the caller records the audit entry."""
    row = conn.execute(
        text(f"SELECT {', '.join(fields)} FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id}
    ).first()
    if row is None:
        raise NotFound(not_found(what, row_id))
    if changes:
        sets = ", ".join(f"{field} = :{field}" for field in changes)
        conn.execute(text(f"UPDATE {table} SET {sets} WHERE id = :id"), changes | {"id": row_id})
    return dict(row._mapping)


def add_assignment(
    conn: Connection, staff_id: str, target_type: str, target_id: str, start_date: dt.date | None, new: bool = False
) -> dict:
    """Assign a staff member (already working in the caller's area, or ``new``: just added) to a grid,
    building or organization."""
    if not new and conn.scalar(text("SELECT 1 FROM staff WHERE id = :id"), {"id": staff_id}) is None:
        raise NotFound(not_found("staff", staff_id))
    table = {"grid": "grids", "building": "buildings", "organization": "organizations"}[target_type]
    key = "code" if target_type == "grid" else "id"
    current = " AND valid_to IS NULL" if target_type == "grid" else ""
    if conn.scalar(text(f"SELECT 1 FROM {table} WHERE {key} = :t{current}"), {"t": target_id}) is None:
        raise NotFound(not_found(target_type, target_id))
    row = conn.execute(
        text(f"""INSERT INTO assignments (staff_id, target_type, target_id, start_date)
                                VALUES (:s, :type, :t, :start) RETURNING {ASSIGNMENT_COLUMNS}"""),
        {"s": staff_id, "type": target_type, "t": target_id, "start": start_date},
    ).one()
    made = dict(row._mapping)
    audit.record(conn, "assignment.add", "assignment", made["id"], None, made)
    return made


def end_assignment(conn: Connection, assignment_id: int, end_date: dt.date) -> dict:
    """End an assignment on ``end_date`` (it stays as history)."""
    row = conn.execute(
        text(f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE id = :id FOR UPDATE"), {"id": assignment_id}
    ).first()
    if row is None:
        raise NotFound(not_found("assignment", assignment_id))
    before = dict(row._mapping)
    if before["start_date"] and end_date < before["start_date"]:
        raise InvalidInput(f"结束日期 {end_date} 早于这项分工的开始日期 {before['start_date']}")
    conn.execute(text("UPDATE assignments SET end_date = :d WHERE id = :id"), {"d": end_date, "id": assignment_id})
    after = before | {"end_date": end_date}
    audit.record(conn, "assignment.end", "assignment", assignment_id, before, after)
    return after


# what can be appointed to: the table and key of the target, and whether a new appointee replaces
# the sitting one of the same role (a building has one leader, a grid one grid leader)
TARGETS = {"building": ("buildings", "id"), "organization": ("organizations", "id"), "grid": ("grids", "code")}
ROLE_OF = {"building": "building_leader", "organization": "liaison"}
REPLACES = {"building_leader", "liaison", "grid_leader"}


def appoint(
    conn: Connection,
    target_type: str,
    target_id: str,
    staff_id: str | None,
    name: str | None,
    phone: str | None,
    start: dt.date,
    role: str | None = None,
    fulltime: bool = False,
) -> dict:
    """Make a person (one of the area's staff, or a new one by name and phone) the building's leader,
    the organization's Party-building liaison, or a grid's leader or worker (``role``) from
    ``start``: a sitting leader or liaison's assignment ends that day, a new one begins. Audited."""
    table, key = TARGETS[target_type]
    role = role or ROLE_OF[target_type]
    current_only = " AND valid_to IS NULL" if target_type == "grid" else ""
    if conn.scalar(text(f"SELECT 1 FROM {table} WHERE {key} = :id{current_only}"), {"id": target_id}) is None:
        raise NotFound(not_found(target_type, target_id))
    new = staff_id is None
    if new:
        staff_id = "st-" + secrets.token_hex(6)
        person = {"id": staff_id, "name": name, "role": role, "fulltime": fulltime, "phone": phone}
        conn.execute(  # no RETURNING: the new row is visible only once assigned (row-level security)
            text("""INSERT INTO staff (id, name, role, fulltime, phone, source)
                    VALUES (:id, :name, :role, :fulltime, :phone, 'import')"""),
            person,
        )
        audit.record(conn, "staff.add", "staff", staff_id, None, person)
    elif conn.scalar(text("SELECT 1 FROM staff WHERE id = :id"), {"id": staff_id}) is None:
        raise NotFound(not_found("staff", staff_id))
    current = conn.execute(
        text(f"""SELECT a.id FROM assignments a JOIN staff s ON s.id = a.staff_id
                 WHERE a.target_type = :type AND a.target_id = :t AND s.role = :role
                   AND a.staff_id <> :s AND {active_on("a", ":start")}"""),
        {"type": target_type, "t": target_id, "role": role, "s": staff_id, "start": start},
    ).scalars()
    ended = [end_assignment(conn, assignment, start) for assignment in current.all()] if role in REPLACES else []
    made = add_assignment(conn, staff_id, target_type, target_id, start, new=new)
    return {f"{target_type}_id": target_id, "assignment": made, "ended": ended}


ORGANIZATION_FLAGS = ("has_union", "has_youth_league")


def update_organization(conn: Connection, organization_id: str, changes: dict) -> dict:
    """Set an organization's union and Youth League flags; returns them after."""
    before = _changed(conn, "organizations", "organization", organization_id, ORGANIZATION_FLAGS, changes)
    if changes:
        audit.record(conn, "organization.update", "organization", organization_id, before, changes)
    return before | changes


def history(conn: Connection, building_id: str, limit: int = 50, target_type: str = "building") -> list[dict]:
    """The audit entries about a building (or grid) and its assignments and people, newest first
    (``conn``: the owner's; the caller's sight of the target is checked before)."""
    rows = conn.execute(
        text("""SELECT at, actor, action, target_type, target_id, before, after FROM audit_log
                WHERE (target_type = :type AND target_id = :b)
                   OR (target_type = 'assignment' AND (after->>'target_id' = :b OR before->>'target_id' = :b)
                       AND coalesce(after->>'target_type', before->>'target_type') = :type)
                   OR (target_type = 'staff' AND target_id IN (
                        SELECT staff_id FROM assignments WHERE target_type = :type AND target_id = :b))
                ORDER BY id DESC LIMIT :limit"""),
        {"b": building_id, "limit": limit, "type": target_type},
    )
    return [dict(r._mapping) for r in rows]


def add_party_org(
    conn: Connection,
    name: str,
    kind: str,
    parent: str | None,
    full_members: int | None,
    founded: dt.date,
    scopes: list[tuple[str, str, bool | None]],
) -> dict:
    """A new Party organization with its scope rows (target type, target id, own); returns its row.
    Its insert returns nothing: it is visible only once it has a scope (row-level security)."""
    made = {
        "id": "po-" + secrets.token_hex(6),
        "name": name,
        "kind": kind,
        "parent_id": parent,
        "full_members": full_members,
        "founded": founded,
    }
    conn.execute(
        text("""INSERT INTO party_orgs (id, name, kind, parent_id, full_members, founded, source)
                VALUES (:id, :name, :kind, :parent_id, :full_members, :founded, 'import')"""),
        made,
    )
    for target_type, target_id, own in scopes:
        conn.execute(
            text("""INSERT INTO party_org_scopes (party_org_id, target_type, target_id, own)
                    VALUES (:p, :type, :t, :own)"""),
            {"p": made["id"], "type": target_type, "t": target_id, "own": own},
        )
    return made


def set_up_party_group(
    conn: Connection, name: str, full_members: int | None, buildings: list[str], founded: dt.date, parent: str | None
) -> dict:
    """A building Party group (党小组) covering ``buildings`` (all visible to the caller), under
    ``parent`` (``branch_of`` the first building). Audited."""
    visible = set(conn.execute(text("SELECT id FROM buildings WHERE id = ANY(:ids)"), {"ids": buildings}).scalars())
    missing = [b for b in buildings if b not in visible]
    if missing:
        raise NotFound(not_found("building", missing[0]))
    group = add_party_org(
        conn, name, "group", parent, full_members, founded, [("building", b, None) for b in buildings]
    )
    made = group | {"buildings": buildings}
    audit.record(conn, "party_org.add", "party_org", group["id"], None, made)
    for building in buildings:
        audit.record(
            conn, "building.party_group", "building", building, None, {"party_org_id": group["id"], "name": name}
        )
    return made


def branch_of(conn: Connection, building_id: str) -> str | None:
    """The branch (支部) of the Party grid a building belongs to (``conn``: the owner's: a grid leader
    does not see the Party side's grids; the caller's sight of the building is checked by the write)."""
    return conn.scalar(
        text("""SELECT s.party_org_id FROM buildings b
                JOIN grids g ON g.valid_to IS NULL AND g.layer IN ('party', 'unified')
                     AND gridsvc_in_grid(b.rep_point, g.code)
                JOIN party_org_scopes s ON s.target_type = 'grid' AND s.target_id = g.code
                JOIN party_orgs p ON p.id = s.party_org_id AND p.kind IN ('branch', 'joint_branch')
                WHERE b.id = :b ORDER BY g.code, p.id LIMIT 1"""),
        {"b": building_id},
    )


def leave(conn: Connection, target_type: str, target_id: str, staff_id: str, end: dt.date) -> list[dict]:
    """End ``staff_id``'s assignments to the target not ended by ``end`` (they stay as history); an
    ``end`` before an assignment's start is refused."""
    rows = (
        conn.execute(
            text("""SELECT a.id FROM assignments a WHERE a.staff_id = :s AND a.target_type = :type
                    AND a.target_id = :t AND (a.end_date IS NULL OR a.end_date > :day)"""),
            {"s": staff_id, "type": target_type, "t": target_id, "day": end},
        )
        .scalars()
        .all()
    )
    if not rows:
        raise NotFound(f"工作人员 {staff_id!r} 在{thing_word(target_type)} {target_id!r} {end} 之后没有任职")
    return [end_assignment(conn, assignment, end) for assignment in rows]


def set_up_org_party(
    conn: Connection,
    organization_id: str,
    name: str,
    kind: str,
    full_members: int | None,
    founded: dt.date,
    parent: str | None,
) -> dict:
    """An organization's own Party organization (单独组建), under ``parent`` (``committee_of`` it). Audited."""
    if conn.scalar(text("SELECT 1 FROM organizations WHERE id = :id"), {"id": organization_id}) is None:
        raise NotFound(not_found("organization", organization_id))
    made = add_party_org(conn, name, kind, parent, full_members, founded, [("organization", organization_id, True)])
    audit.record(conn, "party_org.add", "party_org", made["id"], None, made | {"organization_id": organization_id})
    audit.record(
        conn,
        "organization.party_org",
        "organization",
        organization_id,
        None,
        {"party_org_id": made["id"], "name": name},
    )
    return made | {"organization_id": organization_id}


def committee_of(conn: Connection, organization_id: str) -> str | None:
    """The Party committee of the community an organization stands in (``conn``: the owner's)."""
    return conn.scalar(
        text("""SELECT s.party_org_id FROM organizations o
                JOIN areas a ON a.level = 'community' AND ST_Intersects(a.geom, o.geom)
                JOIN party_org_scopes s ON s.target_type = 'community' AND s.target_id = a.code
                JOIN party_orgs p ON p.id = s.party_org_id AND p.kind = 'committee'
                WHERE o.id = :o ORDER BY a.code, p.id LIMIT 1"""),
        {"o": organization_id},
    )
