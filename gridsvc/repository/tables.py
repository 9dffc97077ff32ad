"""The tables the importer writes, as data: each one's columns, the key a row is matched on, its
geometry columns; and which exchange layer fills which table, in foreign-key order. Read by the writer
(:mod:`gridsvc.repository.write`) and the OGC collections (what they publish is what is imported)."""

from __future__ import annotations

from dataclasses import dataclass

from gridsvc.analysis.scene import COBUILDING_ITEM_FIELDS, FACILITY_COLUMNS


@dataclass(frozen=True)
class TableSpec:
    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the unique index a row is matched on
    geometry: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()  # set on insert, never updated (e.g. valid_from)
    key_where: str | None = None  # the unique index's predicate, for a partial index

    @property
    def conflict(self) -> str:
        """The ON CONFLICT target."""
        target = f"({', '.join(self.key)})"
        return f"{target} WHERE {self.key_where}" if self.key_where else target


AREAS = TableSpec("areas", ("code", "level", "name", "parent_code", "geom", "source"), ("code",), ("geom",))
# Street and district boundaries are derived from their communities, never imported.
UPPER_AREAS = TableSpec(AREAS.table, AREAS.columns, AREAS.key, AREAS.geometry, fixed=("geom",))
GRIDS = TableSpec(
    "grids",
    ("code", "layer", "community_code", "name", "urban", "geom", "valid_from", "source"),
    ("code",),
    ("geom",),
    fixed=("valid_from",),
    key_where="valid_to IS NULL",
)
BUILDINGS = TableSpec(
    "buildings",
    (
        "id",
        "name",
        "address",
        "use",
        "floors",
        "floors_estimated",
        "units",
        "households",
        "households_estimated",
        "residents",
        "full_members",
        "probationary_members",
        "in_service_members",
        "in_service_registered",
        "osm_id",
        "building_type",
        "geom",
        "rep_point",
        "source",
    ),
    ("id",),
    ("geom", "rep_point"),
)
ORGANIZATIONS = TableSpec(
    "organizations",
    ("id", "name", "kind", "employees", "full_members", "has_union", "has_youth_league", "resident_unit")
    + ("building_id", "geom", "source"),
    ("id",),
    ("geom",),
)
PARTY_ORGS = TableSpec(
    "party_orgs",
    ("id", "name", "kind", "parent_id", "full_members", "probationary_members", "founded", "has_committee", "source"),
    ("id",),
)
SCOPES = TableSpec(
    "party_org_scopes",
    ("party_org_id", "target_type", "target_id", "own"),
    ("party_org_id", "target_type", "target_id"),
)
STAFF = TableSpec("staff", ("id", "name", "role", "fulltime", "phone", "source"), ("id",))
ASSIGNMENTS = TableSpec(
    "assignments",
    ("staff_id", "target_type", "target_id", "start_date", "end_date"),
    ("staff_id", "target_type", "target_id", "start_date"),
)
TARGET_KEY = ("area_code", "metric", "due_date")
ROADS = TableSpec("roads", ("id", "name", "kind", "geom", "source"), ("id",), ("geom",))
FACILITIES = TableSpec("facilities", (*FACILITY_COLUMNS, "geom", "source"), ("id",), ("geom",))
UNIT_REGISTRATIONS = TableSpec(
    "unit_registrations",
    ("organization_id", "community_code", "registered_on", "source"),
    ("organization_id", "community_code"),
)
COBUILDING_AGREEMENTS = TableSpec(
    "cobuilding_agreements", ("id", "area_code", "organization_id", "valid_from", "valid_to", "note", "source"), ("id",)
)
COBUILDING_ITEMS = TableSpec(
    "cobuilding_items",
    (*COBUILDING_ITEM_FIELDS, "geom", "source"),
    ("id",),
    ("geom",),
)
UNIT_SEATS = TableSpec(
    "unit_seats",
    ("community_code", "organization_id", "holder", "since", "source"),
    ("community_code", "organization_id"),
)
TARGETS = TableSpec("targets", ("area_code", "metric", "value", "due_date", "note", "source"), TARGET_KEY)

# Exchange layer -> table, in an order that satisfies foreign keys.
LAYER_TABLES: tuple[tuple[str, TableSpec], ...] = (
    ("grids", GRIDS),
    ("buildings", BUILDINGS),
    ("organizations", ORGANIZATIONS),
    ("party_orgs", PARTY_ORGS),
    ("party_org_scope", SCOPES),
    ("staff", STAFF),
    ("assignments", ASSIGNMENTS),
    ("roads", ROADS),
    ("facilities", FACILITIES),
    ("unit_registrations", UNIT_REGISTRATIONS),
    ("cobuilding_agreements", COBUILDING_AGREEMENTS),
    ("cobuilding_items", COBUILDING_ITEMS),
    ("unit_seats", UNIT_SEATS),
    ("targets", TARGETS),
)
