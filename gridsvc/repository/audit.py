"""The audit log: every write, with who (the connection's ``gridsvc.actor``), when, what, and the
data before and after. Written in the same transaction as the change it records."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection, text


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def record(
    conn: Connection, action: str, target_type: str, target_id: str | int | None, before=None, after=None
) -> None:
    """One entry; ``before``/``after`` are JSON-able (dates and numbers become text where needed)."""
    conn.execute(
        text("""INSERT INTO audit_log (action, target_type, target_id, before, after)
                         VALUES (:action, :type, :id, CAST(:before AS jsonb), CAST(:after AS jsonb))"""),
        {
            "action": action,
            "type": target_type,
            "id": None if target_id is None else str(target_id),
            "before": _json(before),
            "after": _json(after),
        },
    )


def entries(
    conn: Connection,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
) -> list[dict]:
    """Newest first."""
    rows = conn.execute(
        text("""
        SELECT id, at, actor, action, target_type, target_id, before, after FROM audit_log
        WHERE (CAST(:actor AS text) IS NULL OR actor = :actor)
          AND (CAST(:action AS text) IS NULL OR action = :action)
          AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)
        ORDER BY id DESC LIMIT :limit"""),
        {"actor": actor, "action": action, "since": since, "limit": limit},
    )
    return [dict(r._mapping) for r in rows]
