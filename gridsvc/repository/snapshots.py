"""Coverage snapshots in PostGIS: the tree of an area stored with its timestamp."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, text

from gridsvc.repository import audit

SNAPSHOT_COLUMNS = "id, area, taken_at, as_of, generated, note"


def insert_snapshot(
    conn: Connection, area: str | None, as_of: dt.date, generated: bool, tree: list[dict], note: str | None = None
) -> dict:
    row = conn.execute(
        text(f"""INSERT INTO snapshots (area, as_of, generated, note, tree)
                                VALUES (:area, :as_of, :generated, :note, CAST(:tree AS jsonb))
                                RETURNING {SNAPSHOT_COLUMNS}"""),
        {
            "area": area,
            "as_of": as_of,
            "generated": generated,
            "note": note,
            "tree": json.dumps(tree, ensure_ascii=False),
        },
    )
    record = dict(row.one()._mapping)
    audit.record(conn, "snapshot.take", "snapshot", record["id"], None, {"area": area, "as_of": as_of, "note": note})
    return record


def snapshots(conn: Connection) -> list[dict]:
    rows = conn.execute(text(f"SELECT {SNAPSHOT_COLUMNS} FROM snapshots ORDER BY taken_at DESC, id DESC"))
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
