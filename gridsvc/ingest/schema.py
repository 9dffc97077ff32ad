"""The exchange GeoPackage's layers and columns (exchange-format.md), as data.

One description serves the importer (what to check), the exporter (what to write) and the demo
generator (what to fill).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridsvc.analysis.metrics import METRICS, code_pattern
from gridsvc.analysis.validity import POLYGONAL
from gridsvc.db.models import (
    ASSIGNMENT_TARGETS,
    BUILDING_USES,
    COBUILDING_LISTS,
    FACILITY_LEVELS,
    GRID_LAYERS,
    ITEM_STATUSES,
    ORG_KINDS,
    PARTY_ORG_KINDS,
    SCOPE_TARGETS,
    SOURCES,
    STAFF_ROLES,
)

TARGET_METRICS = tuple(m.key for m in METRICS)  # a target is set on a metric of the registry


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | int | bool | date
    required: bool = False
    choices: tuple[str, ...] | None = None
    pattern: str | None = None  # regular expression a text value must match in full
    describe: str = ""  # how the pattern reads to a person
    words: tuple[str, ...] | None = None  # the choices as a ledger's users write them (网格长 …), for errors
    grouped: bool = False  # may be written in groups (139 1234 5679): the blanks are taken out, and said


@dataclass(frozen=True)
class Layer:
    name: str
    geometry: tuple[str, ...] | None  # allowed geometry types; None for attribute tables
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # what makes a row unique (re-import updates by it)
    optional_geometry: bool = False
    extra: tuple[Column, ...] = field(default=())  # columns gridsvc itself adds on export

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in (*self.columns, *self.extra):
            if c.name == name:
                return c
        raise KeyError(name)


PHONE_PATTERN = r"\+?[0-9][0-9*-]{4,19}"  # digits (a masked export keeps its *s), an optional + and dashes
SOURCE = Column("source", "text", choices=SOURCES)

COMMUNITIES = Layer(
    "communities",
    POLYGONAL,
    (
        Column("code", "text", True, pattern=code_pattern("community", anchored=False), describe="12 位数字"),
        Column("name", "text", True),
        Column("street_code", "text", True, pattern=code_pattern("street", anchored=False), describe="9 位数字"),
        Column("street_name", "text", True),
        Column("district_code", "text", True, pattern=code_pattern("district", anchored=False), describe="6 位数字"),
        Column("district_name", "text", True),
    ),
    key=("code",),
    extra=(SOURCE,),
)

GRIDS = Layer(
    "grids",
    POLYGONAL,
    (
        Column("code", "text", True, pattern=code_pattern("grid", anchored=False), describe="15 位数字"),
        Column("layer", "text", True, choices=GRID_LAYERS),
        Column("community_code", "text", True, pattern=code_pattern("community", anchored=False), describe="12 位数字"),
        Column("name", "text"),
        Column("urban", "bool"),
    ),
    key=("code",),
    extra=(Column("valid_from", "date"), SOURCE),
)

BUILDINGS = Layer(
    "buildings",
    (*POLYGONAL, "Point"),
    (
        Column("id", "text", True),
        Column("use", "text", True, choices=BUILDING_USES),
        Column("name", "text"),
        Column("address", "text"),
        Column("floors", "int"),
        Column("units", "int"),
        Column("households", "int"),
        Column("residents", "int"),
        Column("full_members", "int"),
        Column("probationary_members", "int"),
        Column("osm_id", "text"),
    ),
    key=("id",),
    extra=(
        Column("building_type", "text"),
        Column("households_estimated", "bool"),
        Column("floors_estimated", "bool"),
        # domain.md §8.1 (not yet in exchange-format.md): in-service members living here, and how
        # many of them registered with this community (在职党员双报到)
        Column("in_service_members", "int"),
        Column("in_service_registered", "int"),
        SOURCE,
    ),
)

ORGANIZATIONS = Layer(
    "organizations",
    ("Point",),
    (
        Column("id", "text", True),
        Column("name", "text", True),
        Column("kind", "text", True, choices=ORG_KINDS),
        Column("employees", "int"),
        Column("full_members", "int"),
        Column("has_union", "bool"),
        Column("has_youth_league", "bool"),
        Column("building_id", "text"),
    ),
    key=("id",),
    # domain.md §8.1 (not yet in exchange-format.md): a unit to count as a resident unit (驻区单位)
    extra=(Column("resident_unit", "bool"), SOURCE),
)

PARTY_ORGS = Layer(
    "party_orgs",
    None,
    (
        Column("id", "text", True),
        Column("name", "text", True),
        Column("kind", "text", True, choices=PARTY_ORG_KINDS),
        Column("parent_id", "text"),
        Column("full_members", "int"),
        Column("probationary_members", "int"),
        Column("founded", "date"),
    ),
    key=("id",),
    # domain.md §8.3 rule 14 (not yet in exchange-format.md): the branch has a committee (支部委员会)
    extra=(Column("has_committee", "bool"), SOURCE),
)

PARTY_ORG_SCOPE = Layer(
    "party_org_scope",
    None,
    (
        Column("party_org_id", "text", True),
        Column("target_type", "text", True, choices=SCOPE_TARGETS),
        Column("target_id", "text", True),
        Column("own", "bool"),
    ),
    key=("party_org_id", "target_type", "target_id"),
)

STAFF = Layer(
    "staff",
    None,
    (
        Column("id", "text", True),
        Column("name", "text", True),
        Column("role", "text", True, choices=STAFF_ROLES),
        Column("fulltime", "bool"),
        Column(
            "phone", "text", pattern=PHONE_PATTERN, describe="电话号码：数字，可带 + 和 -，如 13800000001", grouped=True
        ),
    ),
    key=("id",),
    extra=(SOURCE,),
)

ASSIGNMENTS = Layer(
    "assignments",
    None,
    (
        Column("staff_id", "text", True),
        Column("target_type", "text", True, choices=ASSIGNMENT_TARGETS),
        Column("target_id", "text", True),
        Column("start_date", "date"),
        Column("end_date", "date"),
    ),
    key=("staff_id", "target_type", "target_id", "start_date"),
)

ROADS = Layer(
    "roads",
    ("LineString", "MultiLineString"),
    (Column("id", "text", True), Column("name", "text"), Column("kind", "text")),
    key=("id",),
    extra=(SOURCE,),
)

FACILITIES = Layer(  # domain.md §8.4; optional: files without it import as before
    "facilities",
    ("Point",),
    (
        Column("id", "text", True),
        Column("name", "text", True),
        Column("level", "text", True, choices=FACILITY_LEVELS),
        Column("floor_area", "int"),
        Column("building_id", "text"),
    ),
    key=("id",),
    extra=(SOURCE,),
)

UNIT_REGISTRATIONS = Layer(  # domain.md §8.1; optional: files without it import as before
    "unit_registrations",
    None,
    (
        Column("organization_id", "text", True),
        Column("community_code", "text", True, pattern=r"\d{12}", describe="社区编码"),
        Column("registered_on", "date"),
    ),
    key=("organization_id", "community_code"),
    extra=(SOURCE,),
)

AREA_CODE = Column(
    "area_code", "text", True, pattern=r"\d{9}|\d{12}", describe="社区或街道编码"
)  # the side of a co-building agreement or list: a community, or the street above communities
COBUILDING_AGREEMENTS = Layer(  # domain.md §8.1 (共驻共建协议); optional
    "cobuilding_agreements",
    None,
    (
        Column("id", "text", True),
        AREA_CODE,
        Column("organization_id", "text", True),
        Column("valid_from", "date", True),
        Column("valid_to", "date"),
        Column("note", "text"),
    ),
    key=("id",),
    extra=(SOURCE,),
)

COBUILDING_ITEMS = Layer(  # domain.md §8.1 (需求、资源、项目清单); optional, a place only where known
    "cobuilding_items",
    ("Point",),
    (
        Column("id", "text", True),
        AREA_CODE,
        Column("list", "text", True, choices=COBUILDING_LISTS),
        Column("kind", "text"),
        Column("description", "text", True),
        Column("status", "text", True, choices=ITEM_STATUSES),
        Column("opened_on", "date"),
        Column("organization_id", "text"),
        Column("building_id", "text"),
    ),
    key=("id",),
    optional_geometry=True,
    extra=(SOURCE,),
)

UNIT_SEATS = Layer(  # domain.md §8.1 (大党委兼职委员); optional
    "unit_seats",
    None,
    (
        Column("community_code", "text", True, pattern=r"\d{12}", describe="社区编码"),
        Column("organization_id", "text", True),
        Column("holder", "text"),
        Column("since", "date"),
    ),
    key=("community_code", "organization_id"),
    extra=(SOURCE,),
)

TARGETS = Layer(  # domain.md §8.5; optional: files without it import as before
    "targets",
    None,
    (
        Column("area_code", "text", True, pattern=r"\d{6}|\d{9}|\d{12}", describe="区、街道或社区编码"),
        Column("metric", "text", True, choices=TARGET_METRICS),
        Column("value", "number", True),
        Column("due_date", "date", True),
        Column("note", "text"),
    ),
    key=("area_code", "metric", "due_date"),
    extra=(SOURCE,),
)

# In dependency order: a layer may refer only to layers before it (or to itself).
LAYERS: tuple[Layer, ...] = (
    COMMUNITIES,
    GRIDS,
    BUILDINGS,
    ORGANIZATIONS,
    PARTY_ORGS,
    PARTY_ORG_SCOPE,
    STAFF,
    ASSIGNMENTS,
    ROADS,
    FACILITIES,
    UNIT_REGISTRATIONS,
    COBUILDING_AGREEMENTS,
    COBUILDING_ITEMS,
    UNIT_SEATS,
    TARGETS,
)
LAYER_BY_NAME = {layer.name: layer for layer in LAYERS}
