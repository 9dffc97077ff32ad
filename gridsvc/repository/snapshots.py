"""Coverage snapshots in PostGIS: the tree of an area stored with its timestamp."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, text

from gridsvc.repository import audit

SNAPSHOT_COLUMNS = "id, area, taken_at, as_of, generated, note"


def insert_snapshot(
    conn: Connection,
    area: str | None,
    as_of: dt.date,
    generated: bool,
    tree: list[dict],
    note: str | None = None,
    gaps: list[list[str]] | None = None,
    taken_at: dt.datetime | None = None,
) -> dict:
    """Store a snapshot: its tree, the (kind, object) of each open gap, taken now or at ``taken_at``
    (a back-dated snapshot)."""
    row = conn.execute(
        text(f"""INSERT INTO snapshots (area, as_of, generated, note, tree, gaps, taken_at)
                 VALUES (:area, :as_of, :generated, :note, CAST(:tree AS jsonb), CAST(:gaps AS jsonb),
                         coalesce(CAST(:taken_at AS timestamptz), now()))
                 RETURNING {SNAPSHOT_COLUMNS}"""),
        {
            "area": area,
            "as_of": as_of,
            "generated": generated,
            "note": note,
            "tree": json.dumps(tree, ensure_ascii=False),
            "gaps": None if gaps is None else json.dumps(gaps, ensure_ascii=False),
            "taken_at": taken_at,
        },
    )
    record = dict(row.one()._mapping)
    audit.record(conn, "snapshot.take", "snapshot", record["id"], None, {"area": area, "as_of": as_of, "note": note})
    return record


def snapshots(conn: Connection) -> list[dict]:
    rows = conn.execute(text(f"SELECT {SNAPSHOT_COLUMNS} FROM snapshots ORDER BY taken_at DESC, id DESC"))
    return [dict(r._mapping) for r in rows]


def history(conn: Connection, area: str | None) -> list[dict]:
    """Every snapshot whose tree holds ``area``, oldest first, with its tree and gaps."""
    rows = conn.execute(
        text(f"""SELECT {SNAPSHOT_COLUMNS}, tree, gaps FROM snapshots
                 WHERE area IS NULL OR (CAST(:area AS text) IS NOT NULL AND left(:area, length(area)) = area)
                 ORDER BY taken_at, id"""),
        {"area": area},
    )
    return [dict(r._mapping) for r in rows]


def latest_snapshot(conn: Connection, area: str | None) -> dict | None:
    """The newest snapshot whose tree holds ``area`` (one of the area itself or an area above it)."""
    row = conn.execute(
        text(f"""SELECT {SNAPSHOT_COLUMNS}, tree FROM snapshots
                                WHERE area IS NULL OR (CAST(:area AS text) IS NOT NULL
                                                       AND left(:area, length(area)) = area)
                                ORDER BY taken_at DESC, id DESC LIMIT 1"""),
        {"area": area},
    ).first()
    return dict(row._mapping) if row else None
