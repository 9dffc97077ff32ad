"""Edits of single records by the people who keep them (grid leaders): a building's figures, a
staff member's assignments. Each edit is checked, written and audited in the caller's transaction;
row-level security keeps it inside the caller's scope."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from gridsvc.errors import InvalidInput, NotFound
from gridsvc.repository import audit

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
)
ASSIGNMENT_COLUMNS = "id, staff_id, target_type, target_id, start_date, end_date"


def update_building(conn: Connection, building_id: str, changes: dict) -> dict:
    """Change some of a building's recorded figures; returns the building's fields after."""
    unknown = set(changes) - set(BUILDING_FIELDS)
    if unknown:
        raise InvalidInput(
            f"cannot change {', '.join(sorted(unknown))}; a building's editable fields are "
            + ", ".join(BUILDING_FIELDS)
        )
    row = conn.execute(
        text(f"SELECT {', '.join(BUILDING_FIELDS)} FROM buildings WHERE id = :id FOR UPDATE"), {"id": building_id}
    ).first()
    if row is None:
        raise NotFound(f"no building with id {building_id!r} in your area")
    before = dict(row._mapping)
    if changes:
        sets = ", ".join(f"{field} = :{field}" for field in changes)
        conn.execute(text(f"UPDATE buildings SET {sets} WHERE id = :id"), changes | {"id": building_id})
        audit.record(conn, "building.update", "building", building_id, {k: before[k] for k in changes}, changes)
    return before | changes


def add_assignment(
    conn: Connection, staff_id: str, target_type: str, target_id: str, start_date: dt.date | None
) -> dict:
    """Assign a staff member (already working in the caller's area) to a grid, building or organization."""
    if conn.scalar(text("SELECT 1 FROM staff WHERE id = :id"), {"id": staff_id}) is None:
        raise NotFound(f"no staff member {staff_id!r} in your area")
    table = {"grid": "grids", "building": "buildings", "organization": "organizations"}[target_type]
    key = "code" if target_type == "grid" else "id"
    current = " AND valid_to IS NULL" if target_type == "grid" else ""
    if conn.scalar(text(f"SELECT 1 FROM {table} WHERE {key} = :t{current}"), {"t": target_id}) is None:
        raise NotFound(f"no {target_type} {target_id!r} in your area")
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
        raise NotFound(f"no assignment {assignment_id} in your area")
    before = dict(row._mapping)
    if before["start_date"] and end_date < before["start_date"]:
        raise InvalidInput(f"end date {end_date} is before the assignment's start {before['start_date']}")
    conn.execute(text("UPDATE assignments SET end_date = :d WHERE id = :id"), {"d": end_date, "id": assignment_id})
    after = before | {"end_date": end_date}
    audit.record(conn, "assignment.end", "assignment", assignment_id, before, after)
    return after
