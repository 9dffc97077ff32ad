"""Reading from PostGIS: keys for reference checks, exchange layers for export, API selections.

Geometry leaves the database as WKB and becomes GeoDataFrames in EPSG:4490.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from gridsvc.dataset import Dataset
from gridsvc.repository import predicates

_KEY_QUERIES = {
    "community": "SELECT code FROM areas WHERE level = 'community'",
    "grid": "SELECT code FROM grids WHERE valid_to IS NULL",
    "closed grid": f"SELECT DISTINCT code FROM grids g WHERE {predicates.closed_for_good('g')}",
    "building": "SELECT id FROM buildings",
    "organization": "SELECT id FROM organizations",
    "party_org": "SELECT id FROM party_orgs",
    "staff": "SELECT id FROM staff",
}


def building_points(conn: Connection, ids: list[str]) -> pd.DataFrame:
    """Stored buildings among ``ids``: id and representative point (x, y)."""
    rows = conn.execute(
        text("SELECT id, ST_X(rep_point), ST_Y(rep_point) FROM buildings WHERE id = ANY(:ids) ORDER BY id"),
        {"ids": ids},
    ).all()
    return pd.DataFrame(rows, columns=["id", "x", "y"])


def any_buildings(conn: Connection) -> bool:
    return bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM buildings)")))


def existing_keys(conn: Connection) -> dict[str, set[str]]:
    """The stored keys per kind, for reference checks; read as :func:`frame` reads (SQLAlchemy's
    rows cost 1.9 s on a city's 300,000 keys)."""
    return {kind: {row[0] for row in _rows(conn, sql)[1]} for kind, sql in _KEY_QUERIES.items()}


def closed_grids(conn: Connection) -> set[str]:
    """Codes of grids that were closed and that no live grid has (``predicates.closed_for_good``)."""
    return {row[0] for row in _rows(conn, _KEY_QUERIES["closed grid"])[1]}


def _column(values: list | np.ndarray):
    """Text as plain Python strings (pandas' Arrow strings cost more than the query on joins and
    lookups), taken as the object array it comes in; everything else as pandas infers it."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, str) or sample is None:
        return pd.Series(values, dtype=object)  # an explicit dtype: pandas 3 would infer Arrow strings
    if isinstance(values, np.ndarray) and type(sample) in (int, float):
        return pd.Series(_numbers(values, type(sample)))
    return pd.Series(values.tolist() if isinstance(values, np.ndarray) else values)


def _numbers(values: np.ndarray, kind: type):
    """Whole numbers as int64 (as float64 with NaN where one is missing), real numbers as float64
    with NaN: what pandas infers from the values, without making a list of them first (a third of
    the time on a city's buildings).

    >>> o = lambda *v: np.array(v, dtype=object)
    >>> [_numbers(o(1, 2), int).dtype, _numbers(o(1, None), int).tolist(), _numbers(o(0.5, None), float).tolist()]
    [dtype('int64'), [1.0, nan], [0.5, nan]]
    """
    missing = np.equal(values, None)
    if kind is int and not missing.any():
        try:
            return values.astype(np.int64)
        except OverflowError:  # beyond int64: as pandas has it
            return pd.Series(values.tolist()).to_numpy()
    out = np.full(len(values), np.nan)
    out[~missing] = values[~missing].astype(np.float64)
    return out


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def frame(conn: Connection, sql: str, params: dict | None = None, geometry: str | None = "geom") -> pd.DataFrame:
    """Run ``sql`` (``:name`` parameters); with ``geometry`` the named column arrives as WKB and
    becomes the geometry. Rows are read straight from the driver's cursor: SQLAlchemy's row
    objects cost more than the query itself on large tables; in binary format, which spares parsing
    text (the 200,000 buildings of a city: 0.67 s against 1.03 s)."""
    columns, rows = _rows(conn, sql, params)
    df = pd.DataFrame(
        {name: _column(values) for name, values in zip(columns, _columns(rows, len(columns)), strict=True)}
    )
    if geometry is None:
        return df
    geoms = shapely.from_wkb(df.pop(geometry).to_numpy()) if len(df) else []
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=4490, index=df.index))


def _rows(conn: Connection, sql: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
    """The column names and rows of ``sql`` (``:name`` parameters), straight from the driver's cursor
    in binary format."""
    with conn.connection.driver_connection.cursor(binary=True) as cur:
        cur.execute(_NAMED.sub(r"%(\1)s", sql), params or {})
        return [d.name for d in cur.description], cur.fetchall()


def _columns(rows: list[tuple], n: int) -> list:
    """The rows' columns, each an object array (a list when a value is itself a sequence): through
    one 2-D object array (0.13 s for 200,000 rows of 11 columns, against 0.26–0.32 s for
    ``zip(*rows)``); text columns stay those arrays (a list and back cost 0.5 s on a city's scene)."""
    if not rows:
        return [[] for _ in range(n)]
    table = np.array(rows, dtype=object)
    if table.shape != (len(rows), n):
        return [list(c) for c in zip(*rows, strict=True)]
    return [table[:, j] for j in range(n)]


_CURRENT_GRID = "g.valid_to IS NULL"
_GRID_AT = "g.valid_from <= :on AND (g.valid_to IS NULL OR g.valid_to > :on)"

EXPORT_SQL = {
    "communities": """
        SELECT c.code, c.name, s.code AS street_code, s.name AS street_name,
               d.code AS district_code, d.name AS district_name, c.source, ST_AsBinary(c.geom) AS geom
        FROM areas c JOIN areas s ON s.code = c.parent_code JOIN areas d ON d.code = s.parent_code
        WHERE c.level = 'community' ORDER BY c.code""",
    "grids": f"""
        SELECT g.code, g.layer, g.community_code, g.name, g.urban, g.valid_from, g.source,
               ST_AsBinary(g.geom) AS geom
        FROM grids g WHERE {_CURRENT_GRID} ORDER BY g.code""",
    "buildings": """
        SELECT id, use, name, address, floors, units, households, residents, full_members,
               probationary_members, osm_id, building_type, households_estimated, floors_estimated,
               in_service_members, in_service_registered, source, ST_AsBinary(geom) AS geom
        FROM buildings ORDER BY id""",
    "organizations": """
        SELECT id, name, kind, employees, full_members, has_union, has_youth_league, resident_unit, building_id, source,
               ST_AsBinary(geom) AS geom
        FROM organizations ORDER BY id""",
    "party_orgs": """SELECT id, name, kind, parent_id, full_members, probationary_members, founded,
                            has_committee, source FROM party_orgs ORDER BY id""",
    "party_org_scope": """SELECT party_org_id, target_type, target_id, own FROM party_org_scopes
                          ORDER BY party_org_id, target_type, target_id""",
    "staff": "SELECT id, name, role, fulltime, phone, source FROM staff ORDER BY id",
    "assignments": """SELECT staff_id, target_type, target_id, start_date, end_date FROM assignments
                      ORDER BY staff_id, target_type, target_id, start_date NULLS FIRST""",
    "roads": "SELECT id, name, kind, source, ST_AsBinary(geom) AS geom FROM roads ORDER BY id",
    "facilities": """SELECT id, name, level, floor_area, building_id, source, ST_AsBinary(geom) AS geom
                     FROM facilities ORDER BY id""",
    "unit_registrations": """SELECT organization_id, community_code, registered_on, source
                              FROM unit_registrations ORDER BY organization_id, community_code""",
    "cobuilding_agreements": """SELECT id, area_code, organization_id, valid_from, valid_to, note, source
                                 FROM cobuilding_agreements ORDER BY id""",
    "cobuilding_items": """SELECT id, area_code, list, kind, description, status, opened_on, organization_id,
                                  building_id, source, ST_AsBinary(geom) AS geom
                           FROM cobuilding_items ORDER BY id""",
    "unit_seats": """SELECT community_code, organization_id, holder, since, source
                     FROM unit_seats ORDER BY community_code, organization_id""",
    "targets": """SELECT area_code, metric, value, due_date, note, source FROM targets
                  ORDER BY area_code, metric, due_date""",
}
GEOMETRY_LAYERS = {"communities", "grids", "buildings", "organizations", "roads", "facilities", "cobuilding_items"}


def stored_rows(conn: Connection, layer: str, ids: list[str]) -> pd.DataFrame:
    """The stored rows of exchange ``layer`` (buildings, organizations, party_orgs, staff) whose id is
    among ``ids``, as the export has them."""
    sql = f"SELECT * FROM ({EXPORT_SQL[layer]}) AS q WHERE q.id = ANY(:ids)"
    return frame(conn, sql, {"ids": list(ids)}, geometry="geom" if layer in GEOMETRY_LAYERS else None)


def read_dataset(conn: Connection) -> Dataset:
    """Everything stored, as exchange layers (empty layers left out)."""
    dataset = Dataset()
    for name, sql in EXPORT_SQL.items():
        df = frame(conn, sql, geometry="geom" if name in GEOMETRY_LAYERS else None)
        if len(df):
            dataset.layers[name] = df
    return dataset


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    def params(self) -> dict[str, float]:
        return {"west": self.west, "south": self.south, "east": self.east, "north": self.north}


_ENVELOPE = "ST_MakeEnvelope(:west, :south, :east, :north, 4490)"


def areas(conn: Connection, level: str | None = None, parent: str | None = None) -> gpd.GeoDataFrame:
    where, params = ["true"], {}
    if level:
        where.append("level = :level")
        params["level"] = level
    if parent:
        where.append("parent_code = :parent")
        params["parent"] = parent
    sql = f"""SELECT code, level, name, parent_code, source, ST_AsBinary(geom) AS geom FROM areas
              WHERE {" AND ".join(where)} ORDER BY code"""
    return frame(conn, sql, params)


def grids(
    conn: Connection,
    *,
    code: str | None = None,
    layer: str | None = None,
    community: str | None = None,
    bbox: BBox | None = None,
    on: dt.date | None = None,
    limit: int | None = None,
) -> gpd.GeoDataFrame:
    """Grids current today, or valid on date ``on``, filtered by code, layer, community and bbox."""
    where = [_GRID_AT if on else _CURRENT_GRID]
    params: dict = {"on": on} if on else {}
    if code:
        where.append("g.code = :code")
        params["code"] = code
    if layer:
        where.append("g.layer = :layer")
        params["layer"] = layer
    if community:
        where.append("g.community_code LIKE :community")
        params["community"] = community + "%"
    if bbox:
        where.append(f"g.geom && {_ENVELOPE}")
        params |= bbox.params()
    sql = f"""SELECT g.code, g.layer, g.community_code, g.name, g.urban, g.valid_from, g.valid_to,
                     g.source, ST_AsBinary(g.geom) AS geom
              FROM grids g WHERE {" AND ".join(where)} ORDER BY g.code"""
    if limit:
        sql += f" LIMIT {int(limit)}"
    return frame(conn, sql, params)


def buildings(
    conn: Connection,
    *,
    grid: str | None = None,
    community: str | None = None,
    bbox: BBox | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> gpd.GeoDataFrame:
    """Buildings by grid (assigned to it by rule 5: repository.predicates), community or bbox."""
    where, params = ["true"], {}
    if grid:
        # the index narrows to the grid's polygon; the rule decides between overlapping grids
        where.append(f"""ST_Intersects(b.rep_point,
                        (SELECT g.geom FROM grids g WHERE g.code = :grid AND g.valid_to IS NULL))
                        AND {predicates.in_grid("b.rep_point", ":grid")}""")
        params["grid"] = grid
    if community:
        where.append("""ST_Intersects(b.rep_point, (SELECT a.geom FROM areas a WHERE a.code = :community))""")
        params["community"] = community
    if bbox:
        where.append(f"b.geom && {_ENVELOPE}")
        params |= bbox.params()
    sql = f"""SELECT b.id, b.name, b.address, b.use, b.floors, b.units, b.households,
                     b.households_estimated, b.residents, b.full_members, b.probationary_members,
                     b.osm_id, b.building_type, b.source, ST_AsBinary(b.geom) AS geom
              FROM buildings b WHERE {" AND ".join(where)} ORDER BY b.id"""
    if limit:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return frame(conn, sql, params)


def area_exists(conn: Connection, code: str) -> bool:
    return conn.scalar(text("SELECT 1 FROM areas WHERE code = :c"), {"c": code}) is not None


def populated_areas(conn: Connection, prefix: str, length: int) -> list[str]:
    """The codes, cut to ``length`` digits, of the areas holding communities under ``prefix``."""
    sql = "SELECT DISTINCT left(code, :n) FROM areas WHERE level = 'community' AND code LIKE :prefix ORDER BY 1"
    return list(conn.scalars(text(sql), {"n": length, "prefix": prefix + "%"}))


def area_names_to(conn: Connection, length: int) -> dict[str, str]:
    """{code: name} of every area whose code has at most ``length`` digits."""
    return dict(conn.execute(text("SELECT code, name FROM areas WHERE length(code) <= :n"), {"n": length}).all())


def grid_exists(conn: Connection, code: str) -> bool:
    return conn.scalar(text("SELECT 1 FROM grids WHERE code = :c AND valid_to IS NULL"), {"c": code}) is not None


def row_counts(conn: Connection) -> dict[str, int]:
    tables = [
        "areas",
        "grids",
        "buildings",
        "organizations",
        "party_orgs",
        "party_org_scopes",
        "staff",
        "assignments",
        "roads",
        "facilities",
        "unit_registrations",
        "cobuilding_agreements",
        "cobuilding_items",
        "unit_seats",
        "targets",
    ]
    return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}


def party_orgs(conn: Connection, kind: str | None = None) -> list[dict]:
    """Party organizations with their scope (what each covers)."""
    sql = """
        SELECT p.id, p.name, p.kind, p.parent_id, p.full_members, p.probationary_members, p.founded,
               p.has_committee, p.source,
               coalesce(json_agg(json_build_object('target_type', s.target_type, 'target_id', s.target_id,
                                                   'own', s.own) ORDER BY s.target_type, s.target_id)
                        FILTER (WHERE s.id IS NOT NULL), '[]') AS scope
        FROM party_orgs p LEFT JOIN party_org_scopes s ON s.party_org_id = p.id
        WHERE (CAST(:kind AS text) IS NULL OR p.kind = :kind)
        GROUP BY p.id ORDER BY p.id"""
    return [dict(r._mapping) for r in conn.execute(text(sql), {"kind": kind})]


def organizations(conn: Connection, kind: str | None = None) -> list[dict]:
    sql = """SELECT id, name, kind, employees, full_members, has_union, has_youth_league, resident_unit,
                    building_id, source, ST_X(geom) AS lon, ST_Y(geom) AS lat
             FROM organizations WHERE (CAST(:kind AS text) IS NULL OR kind = :kind) ORDER BY id"""
    return [dict(r._mapping) for r in conn.execute(text(sql), {"kind": kind})]


def staff(
    conn: Connection, *, role: str | None = None, grid: str | None = None, active_on: dt.date | None = None
) -> list[dict]:
    """Staff with their assignments; ``grid`` keeps those assigned to that grid,
    ``active_on`` keeps assignments active on that date (repository.predicates.active_on)."""
    sql = """
        SELECT st.id, st.name, st.role, st.fulltime, st.phone, st.source,
               coalesce(json_agg(json_build_object('id', a.id, 'target_type', a.target_type, 'target_id', a.target_id,
                                                   'start_date', a.start_date, 'end_date', a.end_date)
                                 ORDER BY a.start_date) FILTER (WHERE a.id IS NOT NULL), '[]') AS assignments
        FROM staff st
        LEFT JOIN assignments a ON a.staff_id = st.id
             AND (CAST(:on AS date) IS NULL OR {active_a})
        WHERE (CAST(:role AS text) IS NULL OR st.role = :role)
          AND (CAST(:grid AS text) IS NULL OR st.id IN (
                SELECT g.staff_id FROM assignments g WHERE g.target_type = 'grid' AND g.target_id = :grid
                  AND (CAST(:on AS date) IS NULL OR {active_g})))
        GROUP BY st.id ORDER BY st.id""".format(
        active_a=predicates.active_on("a", "CAST(:on AS date)"), active_g=predicates.active_on("g", "CAST(:on AS date)")
    )
    return [dict(r._mapping) for r in conn.execute(text(sql), {"role": role, "grid": grid, "on": active_on})]


def roads(conn: Connection, bbox: BBox) -> gpd.GeoDataFrame:
    """Roads crossing ``bbox``: context drawn under the maps."""
    return frame(
        conn,
        f"""SELECT id, name, kind, ST_AsBinary(geom) AS geom FROM roads
                           WHERE geom && {_ENVELOPE} ORDER BY id""",
        bbox.params(),
    )


# What a tile of each layer holds: the named attributes and the clipped geometry, nothing else.
TILE_LAYERS = {
    "buildings": ("id, name, use, households, full_members", "geom", "buildings", "TRUE"),
    "grids": ("code AS id, name, layer, community_code", "geom", "grids", "valid_to IS NULL"),
}
# Below zoom 15 a footprint is a few pixels: buildings come as their representative points, in a
# tile layer of their own name (a style draws them as circles, the footprints as fills).
POINT_TILES = {"buildings": ("id, name, use, households, full_members", "rep_point", "buildings", "TRUE")}
POINT_LAYER = {"buildings": "building_points"}
FOOTPRINT_MIN_ZOOM = 15


def vector_tile(conn: Connection, layer: str, z: int, x: int, y: int) -> tuple[int, bytes]:
    """The data's version and one Mapbox vector tile of ``layer`` (ST_AsMVT), in Web Mercator tile
    coordinates; below zoom 15 the buildings' tile layer is ``building_points``."""
    points = z < FOOTPRINT_MIN_ZOOM and layer in POINT_TILES
    columns, geom, table, where = POINT_TILES[layer] if points else TILE_LAYERS[layer]
    sql = f"""
        WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS merc, ST_Transform(ST_TileEnvelope(:z, :x, :y), 4490) AS geo),
        rows AS (SELECT {columns}, ST_AsMVTGeom(ST_Transform(t.{geom}, 3857), bounds.merc, 4096, 64, true) AS mvt
                 FROM {table} t, bounds WHERE {where} AND t.{geom} && bounds.geo)
        SELECT (SELECT version FROM data_version), ST_AsMVT(rows, :layer, 4096, 'mvt') FROM rows"""
    # (ST_AsMVT skips rows whose mvt is NULL; a filter on it would compute every row's twice)
    name = POINT_LAYER[layer] if points else layer
    version, data = conn.execute(text(sql), {"z": z, "x": x, "y": y, "layer": name}).one()
    return version, bytes(data or b"")
