"""Plans in PostGIS: drafts and their grids, applying one (closing and opening grids, moving
grid-level scopes and assignments), and grids by date (history)."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import shapely
from sqlalchemy import Connection, text

from gridsvc.repository import audit, predicates
from gridsvc.repository.read import frame
from gridsvc.repository.write import to_multi

PLAN_COLUMNS = """p.id, p.name, p.communities, p.layer, p.origin, p.status, p.created_at, p.applied_at, p.effective,
                  p.note, p.parent_id, p.version, p.boundary_weight, (SELECT count(*) FROM plan_grids g WHERE g.plan_id = p.id) AS grids,
                  jsonb_array_length(coalesce(p.outcome -> 'undecided', '[]')) AS undecided"""


def insert_plan(
    conn: Connection,
    name: str,
    communities: list[str],
    layer: str,
    origin: str,
    grids: gpd.GeoDataFrame,
    note: str | None = None,
    parent: int | None = None,
    version: int = 1,
    boundary_weight: float = 0.0,
) -> int:
    """Store a draft plan and its grids (EPSG:4490: code, community_code, name, urban, geometry);
    ``parent``: the plan it is a version of (the workbench's edits); ``boundary_weight``: the price per
    metre of boundary a proposal was made with, which ``plan scores`` prices the plan at."""
    plan_id = conn.scalar(
        text("""INSERT INTO plans (name, communities, layer, origin, note, parent_id, version, boundary_weight)
                VALUES (:name, :communities, :layer, :origin, :note, :parent, :version, :boundary_weight)
                RETURNING id"""),
        {
            "name": name,
            "communities": communities,
            "layer": layer,
            "origin": origin,
            "note": note,
            "parent": parent,
            "version": version,
            "boundary_weight": boundary_weight,
        },
    )
    wkb = shapely.to_wkb(to_multi(grids.geometry.values.to_numpy()), hex=True)
    rows = [
        {"plan": plan_id, "code": c, "community": cc, "name": n, "urban": bool(u), "geom": g}
        for c, cc, n, u, g in zip(
            grids["code"], grids["community_code"], grids["name"], grids["urban"], wkb, strict=True
        )
    ]
    if rows:
        conn.execute(
            text("""INSERT INTO plan_grids (plan_id, code, community_code, name, urban, geom)
                             VALUES (:plan, :code, :community, :name, :urban,
                                     ST_SetSRID(ST_GeomFromWKB(decode(:geom, 'hex')), 4490))"""),
            rows,
        )
    audit.record(
        conn,
        "plan.create",
        "plan",
        plan_id,
        None,
        {"name": name, "communities": communities, "layer": layer, "origin": origin, "grids": sorted(grids["code"])},
    )
    return plan_id


def plans(conn: Connection) -> list[dict]:
    rows = conn.execute(text(f"SELECT {PLAN_COLUMNS} FROM plans p ORDER BY p.id"))
    return [dict(r._mapping) for r in rows]


def plan(conn: Connection, plan_id: int, lock: bool = False) -> dict | None:
    sql = f"SELECT {PLAN_COLUMNS}, p.outcome FROM plans p WHERE p.id = :id" + (" FOR UPDATE" if lock else "")
    row = conn.execute(text(sql), {"id": plan_id}).first()
    return dict(row._mapping) if row else None


def versions(conn: Connection, plan_id: int) -> list[dict]:
    """The versions around ``plan_id``: its ancestors, itself and its descendants, oldest first."""
    rows = conn.execute(
        text(f"""
        WITH RECURSIVE up AS (
            SELECT id, parent_id FROM plans WHERE id = :id
            UNION SELECT p.id, p.parent_id FROM plans p JOIN up ON p.id = up.parent_id),
        root AS (SELECT id FROM up WHERE parent_id IS NULL OR parent_id NOT IN (SELECT id FROM plans)),
        down AS (
            SELECT id FROM plans WHERE id IN (SELECT id FROM root)
            UNION SELECT p.id FROM plans p JOIN down ON p.parent_id = down.id)
        SELECT {PLAN_COLUMNS} FROM plans p WHERE p.id IN (SELECT id FROM down UNION SELECT id FROM up)
        ORDER BY p.version, p.id"""),
        {"id": plan_id},
    )
    return [dict(r._mapping) for r in rows]


def plan_grids(conn: Connection, plan_id: int) -> gpd.GeoDataFrame:
    return frame(
        conn,
        """SELECT code, community_code, name, urban, ST_AsBinary(geom) AS geom FROM plan_grids
                          WHERE plan_id = :id ORDER BY code""",
        {"id": plan_id},
    )


def current_grids(conn: Connection, communities: list[str]) -> gpd.GeoDataFrame:
    return frame(
        conn,
        """SELECT code, layer, community_code, name, urban, valid_from, ST_AsBinary(geom) AS geom
                          FROM grids WHERE valid_to IS NULL AND community_code = ANY(:c) ORDER BY code""",
        {"c": communities},
    )


def close_grids(conn: Connection, communities: list[str], layers: tuple[str, ...], effective: dt.date) -> list[str]:
    """End the current grids of ``layers`` in ``communities`` on ``effective`` (they stay as history);
    the codes of the grids ended, in order."""
    return sorted(
        conn.execute(
            text("""UPDATE grids SET valid_to = :d WHERE valid_to IS NULL
                                       AND community_code = ANY(:c) AND layer = ANY(:l) RETURNING code"""),
            {"d": effective, "c": communities, "l": list(layers)},
        ).scalars()
    )


def open_plan_grids(conn: Connection, plan_id: int, layer: str, effective: dt.date, source: str) -> int:
    return conn.execute(
        text("""INSERT INTO grids (code, layer, community_code, name, urban, geom, valid_from, source)
                                SELECT code, :layer, community_code, name, urban, geom, :d, :source
                                FROM plan_grids WHERE plan_id = :id"""),
        {"layer": layer, "d": effective, "id": plan_id, "source": source},
    ).rowcount


def move_grid_scopes(conn: Connection, moved: dict[str, str]) -> int:
    """Point grid-level Party scopes at the grid that took over (a duplicate scope is dropped)."""
    if not moved:
        return 0
    params = {"old": list(moved), "new": list(moved.values())}
    pairs = "SELECT * FROM unnest(CAST(:old AS text[]), CAST(:new AS text[])) AS m(old, new)"
    conn.execute(
        text(f"""DELETE FROM party_org_scopes s USING ({pairs}) m
                          WHERE s.target_type = 'grid' AND s.target_id = m.old AND EXISTS (
                              SELECT 1 FROM party_org_scopes t WHERE t.party_org_id = s.party_org_id
                              AND t.target_type = 'grid' AND t.target_id = m.new)"""),
        params,
    )
    return conn.execute(
        text(f"""UPDATE party_org_scopes s SET target_id = m.new FROM ({pairs}) m
                                 WHERE s.target_type = 'grid' AND s.target_id = m.old"""),
        params,
    ).rowcount


def move_grid_assignments(conn: Connection, moved: dict[str, str], effective: dt.date) -> int:
    """Assignments on a moved grid: running ones end on ``effective`` and continue on the new grid;
    ones starting later move; ended ones stay as history (as :func:`remapped_assignments` models)."""
    if not moved:
        return 0
    params = {"old": list(moved), "new": list(moved.values()), "d": effective}
    pairs = "SELECT * FROM unnest(CAST(:old AS text[]), CAST(:new AS text[])) AS m(old, new)"
    conn.execute(
        text(f"""UPDATE assignments a SET target_id = m.new FROM ({pairs}) m
                          WHERE a.target_type = 'grid' AND a.target_id = m.old AND a.start_date > :d"""),
        params,
    )
    running = conn.execute(
        text(f"""
        WITH running AS (
            SELECT a.id, a.staff_id, m.new, a.end_date FROM assignments a JOIN ({pairs}) m ON a.target_id = m.old
            WHERE a.target_type = 'grid' AND {predicates.active_on("a", ":d")}),
        ended AS (UPDATE assignments SET end_date = :d WHERE id IN (SELECT id FROM running))
        INSERT INTO assignments (staff_id, target_type, target_id, start_date, end_date)
        SELECT staff_id, 'grid', new, :d, end_date FROM running
        ON CONFLICT DO NOTHING"""),
        params,
    )
    return running.rowcount


def mark_applied(conn: Connection, plan_id: int, effective: dt.date, outcome: dict) -> None:
    conn.execute(
        text("UPDATE plans SET status = 'applied', applied_at = now(), effective = :d WHERE id = :id"),
        {"d": effective, "id": plan_id},
    )
    set_outcome(conn, plan_id, outcome)


def set_outcome(conn: Connection, plan_id: int, outcome: dict) -> None:
    """An applied plan's outcome: what applying it did, and since, where a person said a grid it
    left undecided went (``settle``)."""
    conn.execute(
        text("UPDATE plans SET outcome = CAST(:o AS jsonb) WHERE id = :id"),
        {"o": json.dumps(outcome, ensure_ascii=False, default=str), "id": plan_id},
    )


def grids_of_building(conn: Connection, building_id: str, on: dt.date | None) -> list[dict]:
    """The grids (each layer) holding the building's representative point on date ``on``; without a
    date, every grid it was ever in, oldest first."""
    when = "AND g.valid_from <= :on AND (g.valid_to IS NULL OR g.valid_to > :on)" if on else ""
    rows = conn.execute(
        text(f"""
        SELECT g.layer, g.code, g.name, g.valid_from, g.valid_to FROM buildings b
        JOIN grids g ON ST_Intersects(g.geom, b.rep_point)
        WHERE b.id = :id AND (g.valid_to IS NULL OR g.valid_to > g.valid_from) {when}
        ORDER BY g.valid_from, g.layer, g.code"""),
        {"id": building_id, "on": on},
    )
    return [dict(r._mapping) for r in rows]


def used_codes(conn: Connection, communities: list[str]) -> set[str]:
    return set(
        conn.execute(
            text("SELECT code FROM grids WHERE valid_to IS NULL AND community_code = ANY(:c)"), {"c": communities}
        ).scalars()
    )
