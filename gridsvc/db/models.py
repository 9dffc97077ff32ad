"""Tables of gridsvc (SQLAlchemy 2 + GeoAlchemy2).

Geometry is stored in CGCS2000 geographic coordinates (EPSG:4490) with GiST indexes; metric
work happens in the data's Gauss-Krüger zone (see ``gridsvc.crs``).

Polymorphic links (a Party organization's scope, a staff assignment) name their target by type
and code/id, as the exchange format does; the importer checks that every target exists.
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 4490

AREA_LEVELS = ("district", "street", "community")
GRID_LAYERS = ("party", "governance", "unified")
BUILDING_USES = ("residential", "office", "commercial", "mixed", "public", "other", "unknown")
ORG_KINDS = ("enterprise", "social_org", "public_unit", "office_building", "market", "park")
PARTY_ORG_KINDS = ("committee", "general_branch", "branch", "joint_branch", "group")
SCOPE_TARGETS = ("grid", "building", "organization", "community")
STAFF_ROLES = ("grid_leader", "grid_worker", "building_leader", "liaison")
ASSIGNMENT_TARGETS = ("grid", "building", "organization")
SOURCES = ("import", "generated", "osm")
FACILITY_LEVELS = ("street_centre", "community_centre", "grid_station", "building_point")
COBUILDING_LISTS = ("need", "resource", "project")  # domain.md §8.1: the three lists
ITEM_STATUSES = ("open", "matched", "done")
PLAN_ORIGINS = ("upload", "adopt_governance", "proposal", "workbench")
PLAN_STATUSES = ("draft", "applied")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


def _geometry(kind: str) -> Geometry:
    return Geometry(kind, srid=SRID, spatial_index=False)


class Base(DeclarativeBase):
    pass


class Area(Base):
    """District (区), street (街道) or community (社区); a code names one, its prefix its parent."""

    __tablename__ = "areas"
    __table_args__ = (
        _one_of("level", AREA_LEVELS, "areas_level"),
        CheckConstraint(
            "(level = 'district' AND code ~ '^\\d{6}$') OR (level = 'street' AND code ~ '^\\d{9}$')"
            " OR (level = 'community' AND code ~ '^\\d{12}$')",
            name="areas_code_digits",
        ),
        _one_of("source", SOURCES, "areas_source"),
        Index("areas_geom_gist", "geom", postgresql_using="gist"),
        Index("areas_parent", "parent_code"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    geom = mapped_column(_geometry("MULTIPOLYGON"), nullable=True)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class Grid(Base):
    """A grid (网格) of one layer. A code names one current grid across all layers.

    ``valid_from``/``valid_to`` keep history: a grid replaced by a plan gets a ``valid_to`` and
    stays queryable by date; only one current (``valid_to IS NULL``) row may hold a code.
    """

    __tablename__ = "grids"
    __table_args__ = (
        _one_of("layer", GRID_LAYERS, "grids_layer"),
        CheckConstraint("code ~ '^\\d{15}$'", name="grids_code_digits"),
        CheckConstraint("left(code, 12) = community_code", name="grids_code_prefix"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="grids_validity"),
        _one_of("source", SOURCES, "grids_source"),
        Index("grids_current_code", "code", unique=True, postgresql_where=text("valid_to IS NULL")),
        Index("grids_geom_gist", "geom", postgresql_using="gist"),
        Index("grids_community_layer", "community_code", "layer"),
        Index("grids_validity_range", "community_code", "valid_from", "valid_to"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(15))
    layer: Mapped[str] = mapped_column(String(16))
    community_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    name: Mapped[str | None] = mapped_column(Text)
    urban: Mapped[bool] = mapped_column(Boolean, server_default="true")
    geom = mapped_column(_geometry("MULTIPOLYGON"), nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, server_default=func.current_date())
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class Building(Base):
    """A building (楼栋): footprint polygon, or a point where no footprint exists.

    ``rep_point`` is the building's representative point (``point_on_surface`` of the footprint),
    computed once on import by :func:`gridsvc.analysis.assignment.representative_points`; the
    building belongs to the grid that contains it (domain.md rule 5).
    """

    __tablename__ = "buildings"
    __table_args__ = (
        _one_of("use", BUILDING_USES, "buildings_use"),
        _one_of("source", SOURCES, "buildings_source"),
        CheckConstraint("GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON', 'POINT')", name="buildings_geom_type"),
        CheckConstraint(
            "coalesce(floors, 0) >= 0 AND coalesce(units, 0) >= 0 AND coalesce(households, 0) >= 0"
            " AND coalesce(residents, 0) >= 0 AND coalesce(full_members, 0) >= 0"
            " AND coalesce(probationary_members, 0) >= 0",
            name="buildings_counts_nonnegative",
        ),
        Index("buildings_geom_gist", "geom", postgresql_using="gist"),
        Index("buildings_rep_point_gist", "rep_point", postgresql_using="gist"),
        Index("buildings_osm_id", "osm_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    use: Mapped[str] = mapped_column(String(16))
    floors: Mapped[int | None] = mapped_column(Integer)
    floors_estimated: Mapped[bool] = mapped_column(Boolean, server_default="false")  # from a height
    units: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    households_estimated: Mapped[bool] = mapped_column(Boolean, server_default="false")
    residents: Mapped[int | None] = mapped_column(Integer)
    full_members: Mapped[int | None] = mapped_column(Integer)
    probationary_members: Mapped[int | None] = mapped_column(Integer)
    in_service_members: Mapped[int | None] = mapped_column(Integer)  # 在职党员 living here (§8.1)
    in_service_registered: Mapped[int | None] = mapped_column(Integer)  # of whom registered here (双报到)
    osm_id: Mapped[str | None] = mapped_column(Text)
    building_type: Mapped[str | None] = mapped_column(Text)  # as the source says, e.g. OSM building=*
    geom = mapped_column(_geometry("GEOMETRY"), nullable=False)
    rep_point = mapped_column(_geometry("POINT"), nullable=False)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class Organization(Base):
    """A 两新组织 (non-public enterprise or social organization) or 驻区单位 (resident unit)."""

    __tablename__ = "organizations"
    __table_args__ = (
        _one_of("kind", ORG_KINDS, "organizations_kind"),
        _one_of("source", SOURCES, "organizations_source"),
        Index("organizations_geom_gist", "geom", postgresql_using="gist"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    employees: Mapped[int | None] = mapped_column(Integer)
    full_members: Mapped[int | None] = mapped_column(Integer)
    has_union: Mapped[bool] = mapped_column(Boolean, server_default="false")
    has_youth_league: Mapped[bool] = mapped_column(Boolean, server_default="false")
    resident_unit: Mapped[bool] = mapped_column(Boolean, server_default="false")  # 驻区单位 (§8.1)
    building_id: Mapped[str | None] = mapped_column(ForeignKey("buildings.id"))
    geom = mapped_column(_geometry("POINT"), nullable=False)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class PartyOrg(Base):
    """A Party organization: committee, general branch, branch, joint branch or building group."""

    __tablename__ = "party_orgs"
    __table_args__ = (
        _one_of("kind", PARTY_ORG_KINDS, "party_orgs_kind"),
        _one_of("source", SOURCES, "party_orgs_source"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="party_orgs_not_own_parent"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("party_orgs.id", deferrable=True, initially="DEFERRED"))
    full_members: Mapped[int | None] = mapped_column(Integer)
    probationary_members: Mapped[int | None] = mapped_column(Integer)
    founded: Mapped[dt.date | None] = mapped_column(Date)
    has_committee: Mapped[bool] = mapped_column(Boolean, server_default="false")  # 支部委员会 (rule 14)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class PartyOrgScope(Base):
    """What a Party organization covers: a grid, building, organization or community."""

    __tablename__ = "party_org_scopes"
    __table_args__ = (
        _one_of("target_type", SCOPE_TARGETS, "party_org_scopes_target_type"),
        Index("party_org_scopes_key", "party_org_id", "target_type", "target_id", unique=True),
        Index("party_org_scopes_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_org_id: Mapped[str] = mapped_column(ForeignKey("party_orgs.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(Text)
    own: Mapped[bool | None] = mapped_column(Boolean)


class Staff(Base):
    """A person working in the grid system. Phone numbers are personal data."""

    __tablename__ = "staff"
    __table_args__ = (
        _one_of("role", STAFF_ROLES, "staff_role"),
        _one_of("source", SOURCES, "staff_source"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    fulltime: Mapped[bool | None] = mapped_column(Boolean)
    phone: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class Assignment(Base):
    """A staff member assigned to a grid, building or organization from ``start_date`` to ``end_date``.

    Active means no ``end_date`` or one in the future (domain.md §5).
    """

    __tablename__ = "assignments"
    __table_args__ = (
        _one_of("target_type", ASSIGNMENT_TARGETS, "assignments_target_type"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="assignments_dates"),
        Index(
            "assignments_key",
            "staff_id",
            "target_type",
            "target_id",
            "start_date",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        Index("assignments_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(Text)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)


class Road(Base):
    """A road centre line, drawn as context on maps and used to follow streets in plans."""

    __tablename__ = "roads"
    __table_args__ = (
        _one_of("source", SOURCES, "roads_source"),
        Index("roads_geom_gist", "geom", postgresql_using="gist"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(_geometry("MULTILINESTRING"), nullable=False)
    source: Mapped[str] = mapped_column(String(16), server_default="import")


class ImportRecord(Base):
    """One import or demo build that changed the database: what, when, and how many rows."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    summary: Mapped[str] = mapped_column(Text)


class Plan(Base):
    """A draft grid layer for some communities (a redraw), kept beside the live layers until applied.

    Applying makes its grids the ``layer`` of those communities from ``effective`` on; ``outcome``
    records what changed and what was left for a person to decide.
    """

    __tablename__ = "plans"
    __table_args__ = (
        _one_of("layer", GRID_LAYERS, "plans_layer"),
        _one_of("origin", PLAN_ORIGINS, "plans_origin"),
        _one_of("status", PLAN_STATUSES, "plans_status"),
        CheckConstraint("cardinality(communities) > 0", name="plans_communities_check"),
        CheckConstraint("boundary_weight >= 0", name="plans_boundary_weight_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text)
    communities: Mapped[list[str]] = mapped_column(ARRAY(Text))
    layer: Mapped[str] = mapped_column(String(16), server_default="unified")
    origin: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), server_default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    effective: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    outcome = mapped_column(JSONB, nullable=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"), index=True)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # a proposal's price per metre of boundary (objective.Weights.boundary): plan scores uses it
    boundary_weight: Mapped[float] = mapped_column(Double, server_default="0")


class PlanGrid(Base):
    """One grid polygon of a plan."""

    __tablename__ = "plan_grids"
    __table_args__ = (PrimaryKeyConstraint("plan_id", "code"),)

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(15))
    community_code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str | None] = mapped_column(Text)
    urban: Mapped[bool] = mapped_column(Boolean, server_default="true")
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False)


class Snapshot(Base):
    """The coverage tree of an area (None: everything) as it stood at ``taken_at``.

    Reports compare the live figures with the newest snapshot that holds their area.
    """

    __tablename__ = "snapshots"
    __table_args__ = (Index("snapshots_taken_at", text("taken_at DESC")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area: Mapped[str | None] = mapped_column(String(15))
    taken_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    as_of: Mapped[dt.date] = mapped_column(Date)
    generated: Mapped[bool] = mapped_column(Boolean, server_default="false")
    note: Mapped[str | None] = mapped_column(Text)
    tree = mapped_column(JSONB, nullable=False)
    gaps = mapped_column(JSONB, nullable=True)  # [[kind, object_id], ...] open when taken (migration 0008)


# the accounts and the audit log (migration 0005) and data_version (0002) join Base.metadata here
from gridsvc.db import accounts, beyond  # noqa: E402, F401
