"""Loading a coverage :class:`~gridsvc.analysis.scene.Scene` for an area from PostGIS."""

from __future__ import annotations

import datetime as dt

import shapely
from sqlalchemy import Connection

from gridsvc.analysis.crs import metric_crs_for
from gridsvc.analysis.scene import Scene
from gridsvc.repository.read import frame

_IN_AREA = """EXISTS (SELECT 1 FROM areas a WHERE a.level = 'community' AND a.code LIKE :prefix
                      AND ST_Intersects(a.geom, {point}))"""


def load_scene(conn: Connection, area: str | None = None, as_of: dt.date | None = None) -> Scene:
    """Communities under ``area`` (a district, street, community or grid code; None: all), their
    current grids, the buildings and organizations inside them, and all Party organizations and staff."""
    prefix = (area[:12] if area and len(area) > 12 else (area or "")) + "%"
    p = {"prefix": prefix}
    communities = frame(conn, """
        SELECT c.code, c.name, s.code AS street_code, s.name AS street_name, d.code AS district_code,
               d.name AS district_name, c.source, ST_AsBinary(c.geom) AS geom
        FROM areas c JOIN areas s ON s.code = c.parent_code JOIN areas d ON d.code = s.parent_code
        WHERE c.level = 'community' AND c.code LIKE :prefix ORDER BY c.code""", p)
    grids = frame(conn, """SELECT code, layer, community_code, name, urban, source, ST_AsBinary(geom) AS geom
                           FROM grids WHERE valid_to IS NULL AND community_code LIKE :prefix ORDER BY code""", p)
    buildings = frame(conn, f"""
        SELECT id, name, use, households, full_members, residents, source, ST_AsBinary(rep_point) AS rep,
               ST_AsBinary(geom) AS geom
        FROM buildings b WHERE {_IN_AREA.format(point="b.rep_point")} ORDER BY id""", p)
    buildings["rep_point"] = shapely.from_wkb(buildings.pop("rep").to_numpy()) if len(buildings) else []
    organizations = frame(conn, f"""
        SELECT id, name, kind, full_members, has_union, has_youth_league, building_id, source,
               ST_AsBinary(geom) AS geom
        FROM organizations o WHERE {_IN_AREA.format(point="o.geom")} ORDER BY id""", p)
    tables = {
        "party_orgs": "SELECT id, name, kind, parent_id, full_members FROM party_orgs",
        "scopes": "SELECT party_org_id, target_type, target_id, own FROM party_org_scopes",
        "staff": "SELECT id, name, role, fulltime, phone FROM staff",
        "assignments": "SELECT staff_id, target_type, target_id, start_date, end_date FROM assignments",
    }
    rows = {name: frame(conn, sql, geometry=None) for name, sql in tables.items()}
    generated = any((f["source"] == "generated").any() for f in (communities, grids, buildings) if len(f))
    crs = metric_crs_for(communities.geometry.values) if len(communities) else metric_crs_for([shapely.Point(117, 32)])
    return Scene(communities, grids, buildings, organizations, crs=crs,
                 as_of=as_of or dt.date.today(), generated=generated, **rows)
