"""Registration and co-building (报到、共驻共建, domain.md §8.1) and service facilities (§8.4) over HTTP: each resident unit of an area
with where it registered, whether an agreement is in force and whether it holds a committee seat;
the agreements, list items and seats themselves; and their writes, by the roles that keep
organizations (``organize``) inside their scope, each audited.

One description per record kind (:data:`RECORDS`) serves every write and removal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from gridsvc.analysis.cobuilding import in_force, unmet_needs
from gridsvc.analysis.facilities import LEVEL_LABEL as FACILITY_LEVEL_LABEL
from gridsvc.analysis.scene import Thresholds
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.labels import COBUILDING_LIST_LABEL, ITEM_STATUS_LABEL, not_found
from gridsvc.repository import audit
from gridsvc.services import coverage as coverage_service
from gridsvc.services.access import area_in_scope, principal_of

REGISTRATION_LABEL = {
    "registered": "已到所在社区报到",
    "elsewhere": "报到社区有误",
    "not_registered": "未报到",
    "no_party_org": "未单独建立党组织，不需报到",
    "not_judged": "未登记报到情况",
}


@dataclass(frozen=True)
class Record:
    """A kind of §8.1 record as the API writes it: its table, key, other columns, the column that
    places it in an area (the scope check), and the word its audit entries carry."""

    table: str
    key: tuple[str, ...]
    fields: tuple[str, ...]
    area: str
    audit: str


RECORDS = {
    "registration": Record(
        "unit_registrations",
        ("organization_id", "community_code"),
        ("registered_on",),
        "community_code",
        "registration",
    ),
    "agreement": Record(
        "cobuilding_agreements",
        ("id",),
        ("area_code", "organization_id", "valid_from", "valid_to", "note"),
        "area_code",
        "agreement",
    ),
    "item": Record(
        "cobuilding_items",
        ("id",),
        ("area_code", "list", "kind", "description", "status", "opened_on", "organization_id", "building_id", "geom"),
        "area_code",
        "cobuilding_item",
    ),
    "seat": Record("unit_seats", ("community_code", "organization_id"), ("holder", "since"), "community_code", "seat"),
}


def overview(engine: Engine, area: str, limits=None) -> dict:
    """The resident units of ``area`` (registration, agreement, seat) and its agreements, list items
    and seats, with the figures of §8.1."""
    cov = coverage_service.coverage(engine, coverage_service.check_area(area, "共建"), limits=limits)
    scene, o = cov.scene, cov.units.organizations
    names = dict(zip(scene.organizations["id"], scene.organizations["name"], strict=True))
    community_names = dict(zip(scene.communities["code"], scene.communities["name"], strict=True))
    registered = scene.registrations.groupby("organization_id")["community_code"].agg(list).to_dict()
    seated = set(scene.seats["organization_id"])
    units = []
    for row in o[
        o["resident_unit"].to_numpy() & o["community"].fillna("").str.startswith(area).to_numpy()
    ].itertuples():
        status = _registration_status(row, scene.registration_data)
        units.append(
            {
                "id": row.id,
                "name": names.get(row.id),
                "community": row.community,
                "community_name": community_names.get(row.community),
                "own_party_org": bool(row.own),
                "registered_with": registered.get(row.id, []),
                "registration": status,
                "registration_label": REGISTRATION_LABEL[status],
                "agreement_in_force": bool(row.cobuilt),
                "seat": row.id in seated,
            }
        )
    figures = cov.metrics(area)
    return {
        "area": area,
        "as_of": scene.as_of.isoformat(),
        "figures": {k: figures[k] for k in ("unit_registration_rate", "member_registration_rate", "cobuilding_rate")},
        "units": units,
        "agreements": _agreements(scene, area),
        "items": _items(scene, area, (limits or Thresholds()).need_open_days),
        "seats": [
            {"community_code": c, "organization_id": i, "organization_name": names.get(i), "holder": h}
            for c, i, h in zip(
                scene.seats["community_code"], scene.seats["organization_id"], scene.seats["holder"], strict=True
            )
            if c.startswith(area)
        ],
    }


def _registration_status(row, held: bool) -> str:
    if not row.own:
        return "no_party_org"
    if not held:
        return "not_judged"
    if row.registered_home:
        return "registered"
    return "elsewhere" if row.registered_elsewhere else "not_registered"


def _agreements(scene, area: str) -> list[dict]:
    a = scene.agreements
    force = in_force(a, scene.as_of)
    return [
        {
            "id": r.id,
            "area_code": r.area_code,
            "organization_id": r.organization_id,
            "valid_from": _iso(r.valid_from),
            "valid_to": _iso(r.valid_to),
            "in_force": bool(force[n]),
        }
        for n, r in enumerate(a.itertuples())
        if _concerns(r.area_code, area)
    ]


def _concerns(code: str, area: str) -> bool:
    """Whether a record of ``code`` (a community or street) belongs with ``area``: inside it, or above it."""
    return code.startswith(area) or area.startswith(code)


def _items(scene, area: str, days: int) -> list[dict]:
    items = scene.items
    unmet = unmet_needs(items, scene.as_of, days) if len(items) else []
    out = []
    for n, r in enumerate(items.itertuples()):
        if not _concerns(r.area_code, area):
            continue
        point = r.geometry
        out.append(
            {
                "id": r.id,
                "area_code": r.area_code,
                "list": r.list,
                "list_label": COBUILDING_LIST_LABEL[r.list],
                "kind": r.kind,
                "description": r.description,
                "status": r.status,
                "status_label": ITEM_STATUS_LABEL[r.status],
                "opened_on": _iso(r.opened_on),
                "organization_id": r.organization_id,
                "building_id": r.building_id,
                "location": None if point is None or point.is_empty else [round(point.x, 7), round(point.y, 7)],
                "unmet": bool(unmet[n]),
            }
        )
    return out


def _date(value) -> dt.date | None:
    if value is None or value != value:  # None or NaT
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def _iso(value) -> str | None:
    day = _date(value)
    return day.isoformat() if day else None


def put(engine: Engine, kind: str, row: dict) -> dict:
    """Store (or change) one record of ``kind`` (:data:`RECORDS`); audited ``<kind>.set``. The area it
    names must lie in the caller's scope, and the unit, building it names be visible there."""
    record = RECORDS[kind]
    principal = principal_of(engine)
    principal.require("organize")
    area = row[record.area]
    with engine.begin() as conn:
        area_in_scope(conn, principal, area)
        _visible(conn, "organizations", "organization", row.get("organization_id"))
        _visible(conn, "buildings", "building", row.get("building_id"))
        key = {k: row[k] for k in record.key}
        where = " AND ".join(f"{k} = :{k}" for k in record.key)
        plain = [f for f in record.fields if f != "geom"]
        before = conn.execute(
            text(f"SELECT {', '.join((*record.key, *plain))} FROM {record.table} WHERE {where} FOR UPDATE"), key
        ).one_or_none()
        if before is not None and not principal.covers(before._mapping[record.area]):
            raise NotFound(not_found(kind, _id(record, key)))
        values = {f: row.get(f) for f in record.fields}
        columns = (*record.key, *record.fields)
        placeholders = ", ".join(
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)"
            if c == "geom" and row.get("lon") is not None
            else ("NULL" if c == "geom" else f":{c}")
            for c in columns
        )
        updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in record.fields)
        conn.execute(
            text(f"""INSERT INTO {record.table} ({", ".join(columns)}) VALUES ({placeholders})
                     ON CONFLICT ({", ".join(record.key)}) DO UPDATE SET {updates}"""),
            key | values | {"lon": row.get("lon"), "lat": row.get("lat")},
        )
        after = {f: _json(row.get(f)) for f in plain} | (
            {"lon": row.get("lon"), "lat": row.get("lat")} if "geom" in record.fields else {}
        )
        audit.record(
            conn, f"{record.audit}.set", record.audit, _id(record, key), before and _jsonable(before._mapping), after
        )
    return {k: _json(v) for k, v in key.items()} | after | {"created": before is None}


def remove(engine: Engine, kind: str, key: dict) -> None:
    """Remove one record of ``kind``; audited ``<kind>.delete``."""
    record = RECORDS[kind]
    principal = principal_of(engine)
    principal.require("organize")
    where = " AND ".join(f"{k} = :{k}" for k in record.key)
    plain = [f for f in record.fields if f != "geom"]
    with engine.begin() as conn:
        gone = conn.execute(
            text(f"DELETE FROM {record.table} WHERE {where} RETURNING {', '.join((*record.key, *plain))}"), key
        ).one_or_none()
        if gone is None or not principal.covers(gone._mapping[record.area]):
            raise NotFound(not_found(kind, _id(record, key)))
        audit.record(conn, f"{record.audit}.delete", record.audit, _id(record, key), _jsonable(gone._mapping), None)


def _visible(conn: Connection, table: str, what: str, row_id: str | None) -> None:
    if row_id is not None and conn.scalar(text(f"SELECT 1 FROM {table} WHERE id = :i"), {"i": row_id}) is None:
        raise InvalidInput(not_found(what, row_id))


def _id(record: Record, key: dict) -> str:
    return ":".join(str(key[k]) for k in record.key)


def _json(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _jsonable(mapping) -> dict:
    return {k: _json(v) for k, v in dict(mapping).items()}


FACILITY_FIELDS = ("name", "level", "floor_area", "building_id")


def facilities(engine: Engine, area: str) -> list[dict]:
    """The service facilities (党群服务中心/站, domain.md §8.4) standing in ``area``, each with the
    community it stands in and its place as [lon, lat]."""
    coverage_service.check_area(area, "阵地设施")
    with engine.connect() as conn:
        rows = conn.execute(
            text("""SELECT f.id, f.name, f.level, f.floor_area, f.building_id, a.code AS community,
                           ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat
                    FROM facilities f JOIN areas a ON a.level = 'community' AND ST_Intersects(a.geom, f.geom)
                    WHERE a.code LIKE :prefix ORDER BY f.id"""),
            {"prefix": area + "%"},
        ).all()
    return [
        {k: v for k, v in r._mapping.items() if k not in ("lon", "lat")}
        | {"level_label": FACILITY_LEVEL_LABEL[r.level], "location": [round(r.lon, 7), round(r.lat, 7)]}
        for r in rows
    ]


def put_facility(engine: Engine, row: dict) -> dict:
    """Store (or change) a facility at ``lon``/``lat``; the community there must lie in the caller's
    scope (as must the facility's old place); audited ``facility.set``."""
    principal = principal_of(engine)
    principal.require("organize")
    point = {"lon": row["lon"], "lat": row["lat"]}
    with engine.begin() as conn:
        community = conn.scalar(
            text("""SELECT code FROM areas WHERE level = 'community'
                    AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)) ORDER BY code LIMIT 1"""),
            point,
        )
        if community is None or not principal.covers(community):
            raise NotFound(f"你的范围内没有社区在经纬度 {row['lon']}, {row['lat']} 处")
        _visible(conn, "buildings", "building", row.get("building_id"))
        before = conn.execute(
            text("""SELECT name, level, floor_area, building_id, ST_X(geom) AS lon, ST_Y(geom) AS lat,
                           (SELECT code FROM areas a WHERE a.level = 'community' AND ST_Intersects(a.geom, f.geom)
                            ORDER BY code LIMIT 1) AS community
                    FROM facilities f WHERE id = :id FOR UPDATE"""),
            {"id": row["id"]},
        ).one_or_none()
        if before is not None and not principal.covers(before.community or ""):
            raise NotFound(not_found("facility", row["id"]))
        values = {f: row.get(f) for f in FACILITY_FIELDS} | point | {"id": row["id"]}
        conn.execute(
            text("""INSERT INTO facilities (id, name, level, floor_area, building_id, geom)
                    VALUES (:id, :name, :level, :floor_area, :building_id, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))
                    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,
                        floor_area = EXCLUDED.floor_area, building_id = EXCLUDED.building_id, geom = EXCLUDED.geom"""),
            values,
        )
        after = {f: row.get(f) for f in FACILITY_FIELDS} | point
        old = {k: v for k, v in before._mapping.items() if k != "community"} if before is not None else None
        audit.record(conn, "facility.set", "facility", row["id"], old, after)
    return {"id": row["id"], "community": community} | after | {"created": before is None}


def remove_facility(engine: Engine, facility_id: str) -> None:
    """Remove a facility of the caller's area; audited ``facility.delete``."""
    principal = principal_of(engine)
    principal.require("organize")
    with engine.begin() as conn:
        gone = conn.execute(
            text("""DELETE FROM facilities f WHERE id = :id RETURNING name, level, floor_area, building_id,
                        ST_X(geom) AS lon, ST_Y(geom) AS lat,
                        (SELECT code FROM areas a WHERE a.level = 'community' AND ST_Intersects(a.geom, f.geom)
                         ORDER BY code LIMIT 1) AS community"""),
            {"id": facility_id},
        ).one_or_none()
        if gone is None or not principal.covers(gone.community or ""):
            raise NotFound(not_found("facility", facility_id))
        record = {k: v for k, v in gone._mapping.items() if k != "community"}
        audit.record(conn, "facility.delete", "facility", facility_id, record, None)
