"""The collections gridsvc publishes through OGC API – Features, and their SQL.

Every query runs on the caller's (row-level-secured) connection, so a collection holds exactly what
the caller's scope shows. Features are built as GeoJSON by PostGIS itself (``ST_AsGeoJSON``,
``json_build_object``): no DataFrame, no per-row Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from gridsvc.analysis.gaps import COLUMNS
from gridsvc.errors import InvalidInput
from gridsvc.repository import write
from gridsvc.repository.read import _CURRENT_GRID, _ENVELOPE, _GRID_AT, BBox


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    table: str  # FROM clause, aliased t
    key: str  # the feature id column
    properties: tuple[str, ...]
    where: str = "TRUE"
    dated: bool = False  # grids: ``datetime`` selects the layer as it stood that day
    computed: bool = False  # gaps: worked out per request and staged in a temporary table (``stage_gaps``)
    key_sql: str | None = None  # the feature id when it is not one column

    @property
    def fid(self) -> str:
        return self.key_sql or f"t.{self.key}"

    @property
    def extent_source(self) -> tuple[str, str]:
        """FROM and WHERE of the extent: gaps lie on buildings, organizations and grids, so within the
        current grids; every other collection, its own rows."""
        return (
            ("grids t", f"t.{_CURRENT_GRID.removeprefix('g.')}")
            if self.computed
            else (self.table, self.condition(None))
        )

    def condition(self, on: dt.date | None) -> str:
        if self.dated:
            return f"{self.where} AND {(_GRID_AT if on else _CURRENT_GRID).replace('g.', 't.')}"
        return self.where


# the gap list's columns (analysis.gaps.COLUMNS) with the name of what each gap is about
GAP_PROPERTIES = (*(c for c in COLUMNS if c != "geometry"), "object_name")


def _attributes(spec: write.TableSpec, *more: str) -> tuple[str, ...]:
    """What the importer writes to a table (``repository.write``), its geometries aside, and ``more``."""
    return tuple(c for c in spec.columns if c not in spec.geometry) + more


_GRID_PROPERTIES = _attributes(write.GRIDS, "valid_to")
COLLECTIONS = {
    c.id: c
    for c in (
        Collection(
            "areas",
            "区、街道、社区",
            "areas t",
            "code",
            _attributes(write.AREAS),
            "t.geom IS NOT NULL",
        ),
        Collection("grids", "网格（全部图层）", "grids t", "code", _GRID_PROPERTIES, dated=True),
        *(
            Collection(
                f"grids-{layer}", f"{word}网格", "grids t", "code", _GRID_PROPERTIES, f"t.layer = '{layer}'", True
            )
            for layer, word in (("party", "党建"), ("governance", "治理"), ("unified", "合一"))
        ),
        Collection("buildings", "楼栋", "buildings t", "id", _attributes(write.BUILDINGS)),
        Collection("organizations", "两新组织和驻区单位", "organizations t", "id", _attributes(write.ORGANIZATIONS)),
        Collection("facilities", "党群服务中心/站", "facilities t", "id", _attributes(write.FACILITIES)),
        Collection(
            "plan-grids",
            "规划方案的网格",
            "plan_grids t",
            "plan_id",
            ("plan_id", "code", "community_code", "name", "urban"),
            key_sql="(t.plan_id || '-' || t.code)",
        ),
        Collection("gaps", "覆盖缺口（按当前数据计算）", "ogc_gaps t", "id", ("id", *GAP_PROPERTIES), computed=True),
    )
}


def stage_gaps(conn: Connection, gaps) -> None:
    """The gap list (``analysis.coverage``'s, with ``object_name``) as the temporary table ``ogc_gaps``
    of this transaction, numbered 1… in its order (most severe first), so filters, paging and CRSs
    apply to gaps as to every stored collection."""
    columns = ", ".join(f"{p} text" for p in GAP_PROPERTIES)
    conn.execute(text(f"CREATE TEMPORARY TABLE ogc_gaps (id integer, {columns}, geom geometry) ON COMMIT DROP"))
    if gaps.empty:
        return
    frame = gaps.to_crs(4490)
    texts = frame[list(GAP_PROPERTIES)].astype("string").astype(object)
    rows = texts.where(texts.notna(), None).assign(id=range(1, len(frame) + 1), wkb=frame.geometry.to_wkb(hex=True))
    names = ", ".join(f":{p}" for p in GAP_PROPERTIES)
    conn.execute(
        text(f"INSERT INTO ogc_gaps VALUES (:id, {names}, ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4490))"),
        rows.to_dict("records"),
    )


def extent(conn: Connection, c: Collection) -> list[float] | None:
    """The bounding box of what the caller sees of ``c`` (lon/lat), or None when it is empty."""
    table, where = c.extent_source
    box = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(t.geom) AS e FROM {table} WHERE {where}) q"
        )
    ).one()
    return None if box[0] is None else [round(v, 7) for v in box]


@dataclass(frozen=True)
class Output:
    """How coordinates are written: the SRID to transform to (None: stored lon/lat, as CRS84), whether
    the CRS's axes run north first (EPSG:4490, 4326 and the Gauss-Krüger zones do), and decimals."""

    srid: int | None = None
    north_first: bool = False
    decimals: int = 7

    def geometry(self, column: str = "t.geom") -> str:
        g = column if self.srid is None else f"ST_Transform({column}, {int(self.srid)})"
        return f"ST_FlipCoordinates({g})" if self.north_first else g


def items(
    conn: Connection,
    c: Collection,
    bbox: BBox | None,
    limit: int,
    offset: int,
    on: dt.date | None = None,
    properties: tuple[str, ...] | None = None,
    sortby: tuple[tuple[str, bool], ...] = (),
    output: Output = Output(),  # noqa: B008 - frozen
    bbox_srid: int | None = None,
    condition: tuple[str, dict] | None = None,
) -> tuple[list[str], bool]:
    """A page of features as GeoJSON text (and whether more follow): only ``properties`` when given,
    ordered by ``sortby`` ((property, descending) pairs, checked against the collection's), then key;
    coordinates as ``output`` says; ``bbox`` in ``bbox_srid`` (x/y order) when given; ``condition`` a
    compiled filter (``cql2.compile_filter``)."""
    where, params = [c.condition(on)], {"limit": limit + 1, "offset": offset, "on": on}
    if condition:
        where.append(condition[0])
        params |= condition[1]
    if bbox:
        box = (
            _ENVELOPE
            if bbox_srid is None
            else (f"ST_Transform(ST_MakeEnvelope(:west, :south, :east, :north, {int(bbox_srid)}), 4490)")
        )
        where.append(f"t.geom && {box}")
        params |= bbox.params()
    order = "".join(f"t.{p} {'DESC' if down else 'ASC'} NULLS LAST, " for p, down in sortby if p in c.properties)
    sql = f"""SELECT {_feature(c, properties, output)} FROM {c.table} WHERE {" AND ".join(where)}
              ORDER BY {order}{c.fid} LIMIT :limit OFFSET :offset"""
    try:
        rows = conn.execute(text(sql), params).scalars().all()
    except DBAPIError as error:
        if condition and getattr(error.orig, "sqlstate", "") in _MISFIT:
            raise InvalidInput(f"filter：有值与其属性的类型不符：{str(error.orig).splitlines()[0]}") from None
        raise
    return rows[:limit], len(rows) > limit


# the filter compared a property with a value of another type (42883: no such operator, 42804, 22P02,
# 22007/22008: not a number or date)
_MISFIT = {"42883", "42804", "22P02", "22007", "22008", "42725"}
_JSON_TYPES = {"integer": "integer", "smallint": "integer", "bigint": "integer", "boolean": "boolean"}
_JSON_TYPES |= {"double precision": "number", "real": "number", "numeric": "number"}


def queryables(conn: Connection, c: Collection) -> dict[str, dict]:
    """Each property of ``c`` with its JSON type (and ``format: date`` for days), for ``/queryables``."""
    table = c.table.split()[0]
    if c.computed:
        return {p: {"type": "integer" if p == "id" else "string"} for p in c.properties}
    kinds = dict(
        conn.execute(
            text("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t"), {"t": table}
        ).all()
    )
    found = {}
    for p in c.properties:
        kind = kinds.get(p, "text")
        found[p] = {"type": _JSON_TYPES.get(kind, "string")} | ({"format": "date"} if kind == "date" else {})
    return found


def item(conn: Connection, c: Collection, fid: str, output: Output = Output()) -> str | None:  # noqa: B008
    """One feature as GeoJSON text, or None."""
    return conn.execute(
        text(f"SELECT {_feature(c, None, output)} FROM {c.table} WHERE {c.condition(None)} AND {c.fid}::text = :fid"),
        {"fid": fid},
    ).scalar()


def _feature(c: Collection, properties: tuple[str, ...] | None = None, output: Output = Output()) -> str:  # noqa: B008
    chosen = [p for p in c.properties if properties is None or p in properties]
    props = ", ".join(f"'{p}', t.{p}" for p in chosen)
    return (
        f"json_build_object('type', 'Feature', 'id', {c.fid}, "
        f"'geometry', ST_AsGeoJSON({output.geometry()}, {int(output.decimals)}, 0)::json, "
        f"'properties', json_build_object({props}))::text"
    )
