"""Loading a coverage :class:`~gridsvc.analysis.scene.Scene` for an area from PostGIS."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import shapely
from sqlalchemy import Connection, text

from gridsvc.analysis.crs import metric_crs_for
from gridsvc.analysis.scene import Scene
from gridsvc.repository.read import frame

# The area's objects, found once (driven from the communities: one GiST lookup per community)
# and kept in temporary tables for the queries that follow.
_AREA_TABLES = {
    "scene_grids": "SELECT code AS id FROM grids WHERE valid_to IS NULL AND community_code LIKE :prefix",
    "scene_buildings": """SELECT DISTINCT x.id FROM areas a JOIN buildings x ON ST_Intersects(a.geom, x.rep_point)
                          WHERE a.level = 'community' AND a.code LIKE :prefix""",
    "scene_organizations": """SELECT DISTINCT x.id FROM areas a JOIN organizations x ON ST_Intersects(a.geom, x.geom)
                              WHERE a.level = 'community' AND a.code LIKE :prefix""",
}
_TARGET_TABLES = {"grid": "scene_grids", "building": "scene_buildings", "organization": "scene_organizations"}


def _naming_area(table: str, columns: str) -> str:
    """Rows of ``table`` whose target is one of the area's objects: one indexed join per target type
    (an OR of IN-lists would make PostgreSQL read the whole table)."""
    return " UNION ALL ".join(
        f"SELECT {columns} FROM {table} t JOIN {area} x ON t.target_type = '{kind}' AND t.target_id = x.id"
        for kind, area in _TARGET_TABLES.items()
    )


def load_scene(conn: Connection, area: str | None = None, as_of: dt.date | None = None) -> Scene:
    """Communities under ``area`` (a district, street, community or grid code; None: all), their
    current grids, the buildings and organizations inside them, and the Party organizations, staff
    and assignments that name any of these."""
    prefix = (area[:12] if area and len(area) > 12 else (area or "")) + "%"
    p = {"prefix": prefix}
    where = _area_filters(conn, p) if area is not None else _EVERYTHING
    communities = frame(
        conn,
        """
        SELECT c.code, c.name, s.code AS street_code, s.name AS street_name, d.code AS district_code,
               d.name AS district_name, c.source, ST_AsBinary(c.geom) AS geom
        FROM areas c JOIN areas s ON s.code = c.parent_code JOIN areas d ON d.code = s.parent_code
        WHERE c.level = 'community' AND c.code LIKE :prefix ORDER BY c.code""",
        p,
    )
    # grids in code order: where grids overlap, the first one takes the building
    grids = frame(
        conn,
        """SELECT code, layer, community_code, name, urban, source, ST_AsBinary(geom) AS geom
                           FROM grids WHERE valid_to IS NULL AND community_code LIKE :prefix ORDER BY code""",
        p,
    )
    buildings = frame(
        conn,
        f"""
        SELECT id, name, address, use, households, full_members, residents, osm_id, source, ST_AsBinary(rep_point) AS rep,
               ST_AsBinary(geom) AS geom FROM buildings WHERE {where["buildings"]}""",
        geometry=None,
    )
    # the footprints and points become shapes in another thread (GEOS lets go of the GIL) while the
    # queries below run: on a city, parsing them costs as much as all those queries together
    wkb = buildings.pop("rep").to_numpy(), buildings.pop("geom").to_numpy()
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsed = pool.submit(lambda: [shapely.from_wkb(w) for w in wkb])
        organizations, party_orgs, scopes, staff, assignments = _people(conn, where, p)
        rep, footprints = parsed.result()
    buildings = gpd.GeoDataFrame(buildings, geometry=gpd.GeoSeries(footprints, crs=4490, index=buildings.index))
    buildings["rep_point"] = rep
    generated = any((f["source"] == "generated").any() for f in (communities, grids, buildings) if len(f))
    crs = metric_crs_for(communities.geometry.values) if len(communities) else metric_crs_for([shapely.Point(117, 32)])
    return Scene(
        communities,
        grids,
        buildings,
        organizations,
        party_orgs,
        scopes,
        staff,
        assignments,
        crs=crs,
        as_of=as_of or dt.date.today(),
        generated=generated,
    )


def _people(conn: Connection, where: dict[str, str], p: dict) -> tuple:
    """The area's organizations, Party organizations and their scopes, staff and assignments."""
    organizations = frame(
        conn,
        f"""
        SELECT id, name, kind, full_members, has_union, has_youth_league, building_id, source,
               ST_AsBinary(geom) AS geom FROM organizations WHERE {where["organizations"]}""",
    )
    scopes = frame(conn, where["scopes"], p, geometry=None)
    party_orgs = frame(
        conn,
        f"SELECT id, name, kind, parent_id, full_members FROM party_orgs WHERE {where['party_orgs']}",
        {"ids": sorted(set(scopes["party_org_id"]))},
        geometry=None,
    )
    assignments = frame(conn, where["assignments"], geometry=None)
    staff = frame(
        conn,
        f"SELECT id, name, role, fulltime, phone FROM staff WHERE {where['staff']}",
        {"ids": sorted(set(assignments["staff_id"]))},
        geometry=None,
    )
    return organizations, party_orgs, scopes, staff, assignments


SCOPE_COLUMNS = "t.party_org_id, t.target_type, t.target_id, t.own"
ASSIGNMENT_COLUMNS = "t.staff_id, t.target_type, t.target_id, t.start_date, t.end_date"
_EVERYTHING = dict.fromkeys(["buildings", "organizations", "party_orgs", "staff"], "TRUE") | {
    "scopes": f"SELECT {SCOPE_COLUMNS} FROM party_org_scopes t",
    "assignments": f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments t",
}


def _area_filters(conn: Connection, params: dict) -> dict[str, str]:
    """WHERE clauses keeping the area's rows, through temp tables of its grids, buildings, organizations."""
    for name, sql in _AREA_TABLES.items():
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {sql}"), params)
        conn.execute(text(f"ANALYZE {name}"))
    return {
        "buildings": "id IN (SELECT id FROM scene_buildings)",
        "organizations": "id IN (SELECT id FROM scene_organizations)",
        "scopes": _naming_area("party_org_scopes", SCOPE_COLUMNS)
        + f" UNION ALL SELECT {SCOPE_COLUMNS} FROM party_org_scopes t"
        " WHERE t.target_type = 'community' AND t.target_id LIKE :prefix",
        "party_orgs": "id = ANY(:ids)",
        "assignments": _naming_area("assignments", ASSIGNMENT_COLUMNS),
        "staff": "id = ANY(:ids)",
    }
