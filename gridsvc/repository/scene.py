"""Loading a coverage :class:`~gridsvc.analysis.scene.Scene` for an area from PostGIS."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from gridsvc.analysis.bulk import paused
from gridsvc.analysis.crs import metric_crs_for
from gridsvc.analysis.scene import AGREEMENT_FIELDS, COBUILDING_ITEM_FIELDS, SEAT_FIELDS, Scene
from gridsvc.repository import predicates
from gridsvc.repository.read import frame

# The area's objects, found once (driven from the communities: one GiST lookup per community)
# and kept in temporary tables for the queries that follow. The buildings' ids are kept in order:
# each ``= ANY(ARRAY(SELECT id …))`` probe below sorts its array first, and that sort, 0.2–0.3 s
# on 200,000 ids in scan order, is a quick pass over ids already sorted (a district: 20 ms → 6 ms).
_AREA_TABLES = {
    "scene_grids": "SELECT code AS id FROM grids WHERE valid_to IS NULL AND community_code LIKE :prefix",
    "scene_buildings": """SELECT DISTINCT x.id FROM areas a JOIN buildings x ON ST_Intersects(a.geom, x.rep_point)
                          WHERE a.level = 'community' AND a.code LIKE :prefix ORDER BY x.id""",
    "scene_organizations": """SELECT DISTINCT x.id FROM areas a JOIN organizations x ON ST_Intersects(a.geom, x.geom)
                              WHERE a.level = 'community' AND a.code LIKE :prefix""",
}
_TARGET_TABLES = {"grid": "scene_grids", "building": "scene_buildings", "organization": "scene_organizations"}


def _naming_area(table: str, columns: str) -> str:
    """Rows of ``table`` whose target is one of the area's objects: one index scan per target type,
    probing the (target_type, target_id) index with the area's ids. (An OR of IN-lists reads the whole
    table; a join to the area's table chose a hash or merge join over all of a province's 1.5 million
    building assignments: 0.3–0.5 s a district instead of 0.06 s.)"""
    return " UNION ALL ".join(
        f"SELECT {columns} FROM {table} t WHERE t.target_type = '{kind}' AND t.target_id = ANY(ARRAY(SELECT id FROM {area}))"
        for kind, area in _TARGET_TABLES.items()
    )


@paused()
def load_scene(conn: Connection, area: str | None = None, as_of: dt.date | None = None) -> Scene:
    """Communities under ``area`` (a district, street, community or grid code; None: all), their
    current grids, the buildings and organizations inside them, and the Party organizations, staff
    and assignments that name any of these."""
    prefix = (area[:12] if area and len(area) > 12 else (area or "")) + "%"
    p = {"prefix": prefix}
    # the queries below are short (or plain scans): compiling them first cost 100–170 ms each time
    conn.execute(text("SET LOCAL jit = off"))
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
        SELECT id, name, address, use, households, full_members, residents, osm_id, source,
               in_service_members, in_service_registered, ST_X(rep_point) AS rep_x, ST_Y(rep_point) AS rep_y, ST_AsBinary(geom) AS geom
        FROM buildings WHERE {where["buildings"]}""",
        geometry=None,
    )
    # the footprints and points become shapes in another thread (GEOS lets go of the GIL) while the
    # queries below run: on a city, parsing them costs as much as all those queries together (points
    # come as x and y: making them is twice as fast as parsing them)
    x, y = (buildings.pop(c).to_numpy(dtype=float) for c in ("rep_x", "rep_y"))
    wkb = buildings.pop("geom").to_numpy()
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsed = pool.submit(lambda: (shapely.points(x, y), shapely.from_wkb(wkb)))
        organizations, party_orgs, scopes, staff, assignments = _people(conn, where, p)
        rep, footprints = parsed.result()
    facilities, facility_data, roads = _facilities(conn, communities)
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
        facilities=facilities,
        facility_data=facility_data,
        roads=roads,
        parent_scopes=_parent_scopes(conn, party_orgs),
        **_beyond(conn, organizations, communities),
        targets=frame(
            conn,
            "SELECT area_code, metric, value, due_date, note FROM targets WHERE area_code LIKE :prefix",
            p,
            geometry=None,
        ),
        stranded=frame(conn, _STRANDED, p | {"day": as_of or dt.date.today()}),
    )


# What still names a grid that was closed with no live grid of its code (a plan left it undecided,
# 待人工确定): its grid-level Party scopes and the staff assignments running on the day, with the plan
# that left it (to settle it with), the grid's last name and a point inside it.
_STRANDED = f"""
    WITH closed AS (
        SELECT DISTINCT ON (g.code) g.code, g.community_code, g.name, g.valid_to, g.geom FROM grids g
        WHERE g.community_code LIKE :prefix AND {predicates.closed_for_good("g")}
        ORDER BY g.code, g.valid_to DESC),
    held AS (
        SELECT s.target_id AS grid, 'party_org' AS kind, o.id, o.name FROM party_org_scopes s
        JOIN party_orgs o ON o.id = s.party_org_id WHERE s.target_type = 'grid' AND s.target_id IN (SELECT code FROM closed)
        UNION ALL
        SELECT a.target_id, 'staff', st.id, st.name FROM assignments a JOIN staff st ON st.id = a.staff_id
        WHERE a.target_type = 'grid' AND a.target_id IN (SELECT code FROM closed) AND {predicates.active_on("a", ":day")})
    SELECT c.code AS grid, c.community_code, c.name AS grid_name, c.valid_to AS closed_on, h.kind, h.id, h.name,
           (SELECT max(p.id) FROM plans p, jsonb_array_elements(p.outcome -> 'undecided') u
            WHERE p.status = 'applied' AND u ->> 'grid' = c.code) AS plan_id,
           ST_AsBinary(ST_PointOnSurface(c.geom)) AS geom
    FROM held h JOIN closed c ON c.code = h.grid ORDER BY c.code, h.kind, h.id"""


def _beyond(conn: Connection, organizations: pd.DataFrame, communities: gpd.GeoDataFrame) -> dict:
    """§8.1 for the scene: the registrations and co-building agreements of its organizations, the
    list items of its communities and their streets, the unit seats on its communities' committees,
    and whether registrations, agreements and seats are held at all (one query)."""
    ids = {"ids": list(organizations["id"])}
    codes = list(communities["code"])
    areas = {"codes": codes, "areas": codes + sorted(set(communities["street_code"]))}
    held = conn.execute(
        text("""SELECT EXISTS (SELECT 1 FROM unit_registrations), EXISTS (SELECT 1 FROM cobuilding_agreements),
                       EXISTS (SELECT 1 FROM unit_seats)""")
    ).one()
    return {
        "registrations": frame(
            conn,
            """SELECT organization_id, community_code, registered_on FROM unit_registrations
               WHERE organization_id = ANY(CAST(:ids AS text[])) ORDER BY organization_id, community_code""",
            ids,
            geometry=None,
        ),
        "agreements": frame(
            conn,
            f"""SELECT {", ".join(AGREEMENT_FIELDS)} FROM cobuilding_agreements
                WHERE organization_id = ANY(CAST(:ids AS text[])) ORDER BY id""",
            ids,
            geometry=None,
        ),
        "items": frame(
            conn,
            f"""SELECT {", ".join(COBUILDING_ITEM_FIELDS)}, ST_AsBinary(geom) AS geom FROM cobuilding_items
                WHERE area_code = ANY(CAST(:areas AS text[])) ORDER BY id""",
            areas,
        ),
        "seats": frame(
            conn,
            f"""SELECT {", ".join(SEAT_FIELDS)} FROM unit_seats
                WHERE community_code = ANY(CAST(:codes AS text[])) ORDER BY community_code, organization_id""",
            areas,
            geometry=None,
        ),
        "registration_data": bool(held[0]),
        "cobuilding_data": bool(held[1]),
        "seat_data": bool(held[2]),
    }


REACH_MARGIN_DEG = 0.012  # about 1.1 km: a facility just outside the area still serves its edge


def _facilities(conn: Connection, communities: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, bool, gpd.GeoDataFrame]:
    """The service facilities within reach of the communities' extent, whether any are held, and the
    roads around (walking distances; only read where facilities are)."""
    held = bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM facilities)")))
    box = communities.total_bounds if len(communities) else [0.0, 0.0, 0.0, 0.0]
    around = {
        "held": held and len(communities) > 0,
        "w": float(box[0]) - REACH_MARGIN_DEG,
        "s": float(box[1]) - REACH_MARGIN_DEG,
        "e": float(box[2]) + REACH_MARGIN_DEG,
        "n": float(box[3]) + REACH_MARGIN_DEG,
    }
    found = frame(
        conn,
        """SELECT id, name, level, floor_area, building_id, ST_AsBinary(geom) AS geom FROM facilities
           WHERE :held AND geom && ST_MakeEnvelope(:w, :s, :e, :n, 4490) ORDER BY id""",
        around,
    )
    roads = frame(
        conn,
        """SELECT id, ST_AsBinary(geom) AS geom FROM roads
           WHERE :held AND geom && ST_MakeEnvelope(:w, :s, :e, :n, 4490) ORDER BY id""",
        around | {"held": around["held"] and len(found) > 0},
    )
    return found, held, roads


def _people(conn: Connection, where: dict[str, str], p: dict) -> tuple:
    """The area's organizations, Party organizations and their scopes, staff and assignments."""
    organizations = frame(
        conn,
        f"""
        SELECT id, name, kind, full_members, has_union, has_youth_league, resident_unit, building_id, source,
               ST_AsBinary(geom) AS geom FROM organizations WHERE {where["organizations"]}""",
    )
    scopes = frame(conn, where["scopes"], p, geometry=None)
    party_orgs = frame(
        conn,
        f"""SELECT id, name, kind, parent_id, full_members, probationary_members, has_committee
            FROM party_orgs WHERE {where["party_orgs"]}""",
        _ids(where["party_orgs"], scopes["party_org_id"]),
        geometry=None,
    )
    assignments = frame(conn, where["assignments"], geometry=None)
    staff = frame(
        conn,
        f"SELECT id, name, role, fulltime, phone FROM staff WHERE {where['staff']}",
        _ids(where["staff"], assignments["staff_id"]),
        geometry=None,
    )
    return organizations, party_orgs, scopes, staff, assignments


def _ids(clause: str, ids: pd.Series) -> dict:
    """The ids a clause asks for (none for the whole database: sorting a city's 170,000 ids cost
    0.2 s for a clause that reads every row)."""
    return {"ids": sorted(set(ids))} if ":ids" in clause else {}


def _parent_scopes(conn: Connection, party_orgs: pd.DataFrame) -> pd.DataFrame:
    """Where the parents of the area's Party organizations sit (rule 13): their grid and community
    scopes, wherever those are, with their names."""
    return frame(
        conn,
        """SELECT s.party_org_id, s.target_type, s.target_id, p.name
           FROM party_org_scopes s JOIN party_orgs p ON p.id = s.party_org_id
           WHERE s.party_org_id = ANY(CAST(:ids AS text[])) AND s.target_type IN ('grid', 'community')""",
        {"ids": sorted(set(party_orgs["parent_id"].dropna()))},
        geometry=None,
    )


SCOPE_COLUMNS = "t.party_org_id, t.target_type, t.target_id, t.own"
ASSIGNMENT_COLUMNS = "t.staff_id, t.target_type, t.target_id, t.start_date, t.end_date"
_EVERYTHING = dict.fromkeys(["buildings", "organizations", "party_orgs", "staff"], "TRUE") | {
    "scopes": f"SELECT {SCOPE_COLUMNS} FROM party_org_scopes t",
    "assignments": f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments t",
}


_ANY_OF_IDS = "id = ANY(ARRAY(SELECT unnest(CAST(:ids AS text[]))))"


def _area_filters(conn: Connection, params: dict) -> dict[str, str]:
    """WHERE clauses keeping the area's rows, through temp tables of its grids, buildings, organizations."""
    for name, sql in _AREA_TABLES.items():
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        conn.execute(text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {sql}"), params)
        conn.execute(text(f"ANALYZE {name}"))
    # ``= ANY(ARRAY(SELECT …))`` rather than ``IN (SELECT …)`` or ``= ANY(:ids)``: the planner cannot
    # size an array from a subquery, so it probes the primary key with the area's ids, where a known
    # size (a district: 20,000 of a province's 2 million buildings) made it scan the whole table
    return {
        "buildings": "id = ANY(ARRAY(SELECT id FROM scene_buildings))",
        "organizations": "id = ANY(ARRAY(SELECT id FROM scene_organizations))",
        "scopes": _naming_area("party_org_scopes", SCOPE_COLUMNS)
        + f" UNION ALL SELECT {SCOPE_COLUMNS} FROM party_org_scopes t"
        " WHERE t.target_type = 'community' AND t.target_id LIKE :prefix",
        "party_orgs": _ANY_OF_IDS,
        "assignments": _naming_area("assignments", ASSIGNMENT_COLUMNS),
        "staff": _ANY_OF_IDS,
    }
