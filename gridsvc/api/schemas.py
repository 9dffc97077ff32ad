"""What each JSON route answers, as pydantic models: they are the OpenAPI document's response
schemas (declared on the routes with ``responses``, so a large GeoJSON answer is not validated and
copied a second time at run time), and tests/api/test_schemas.py validates real answers against them.

Models allow extra members: they name what a client may rely on, not everything an answer holds."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gridsvc.analysis.gaps import GAP_KIND, SEVERITY_LABEL
from gridsvc.db.models import (
    AREA_LEVELS,
    ASSIGNMENT_TARGETS,
    GRID_LAYERS,
    PARTY_ORG_KINDS,
    PLAN_ORIGINS,
    PLAN_STATUSES,
    STAFF_ROLES,
)
from gridsvc.services.access import ROLES

# the value sets the API names, each from its one definition (Literal takes a tuple at run time)
Layer = Literal[GRID_LAYERS]  # type: ignore[valid-type]
Level = Literal[(*AREA_LEVELS, "grid")]  # type: ignore[valid-type]
AreaLevel = Literal[AREA_LEVELS]  # type: ignore[valid-type]
PartyOrgKind = Literal[PARTY_ORG_KINDS]  # type: ignore[valid-type]
StaffRole = Literal[STAFF_ROLES]  # type: ignore[valid-type]
AssignmentTarget = Literal[ASSIGNMENT_TARGETS]  # type: ignore[valid-type]
PlanOrigin = Literal[PLAN_ORIGINS]  # type: ignore[valid-type]
NewPlanOrigin = Literal["upload", "adopt_governance", "proposal"]  # a workbench version comes from editing one
PlanStatus = Literal[PLAN_STATUSES]  # type: ignore[valid-type]
GapKind = Literal[tuple(GAP_KIND)]  # type: ignore[valid-type]
Severity = Literal[tuple(SEVERITY_LABEL)]  # type: ignore[valid-type]
UserRole = Literal[ROLES]  # type: ignore[valid-type]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Health(Open):
    status: Literal["ok"]
    database: Literal["ok"]
    migration: str | None = Field(description="the Alembic revision of the database schema")


class Feature(Open):
    type: Literal["Feature"]
    id: str | int | None
    geometry: dict[str, Any] | None = Field(description="GeoJSON geometry, lon/lat (RFC 7946)")
    properties: dict[str, Any]


class FeatureCollection(Open):
    type: Literal["FeatureCollection"]
    features: list[Feature]


class BuildingPage(FeatureCollection):
    limit: int
    offset: int
    more: bool = Field(description="whether a next page exists (offset + limit)")


class GapCollection(FeatureCollection):
    generated: bool = Field(description="the data is generated (a demo), not real")


class Figure(Open):
    """One metric of one area: ``value`` is numerator / denominator for rates (null when nothing
    counts), the count itself for counts."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None


class Area(Open):
    code: str
    level: Level
    name: str | None
    layer: Layer | None = None


class CoverageNode(Open):
    area: Area
    metrics: dict[str, Figure] = Field(description="metric key -> figure (domain.md §5)")
    children: list[CoverageNode]


class CoverageTree(CoverageNode):
    generated: bool


class Assignment(Open):
    id: int
    target_type: AssignmentTarget
    target_id: str
    start_date: dt.date | None
    end_date: dt.date | None


class Staff(Open):
    id: str
    name: str
    role: StaffRole
    fulltime: bool | None
    phone: str | None = Field(description="whole, or masked (138****0001) outside the caller's area")
    assignments: list[Assignment]


class PartyOrg(Open):
    id: str
    name: str
    kind: PartyOrgKind


class Organization(Open):
    id: str
    name: str
    kind: str


class Alignment(Open):
    community: str
    community_name: str | None = None
    alignment_rate: Figure
    pairs: list[dict[str, Any]] = Field(description="party, governance (codes and *_name), households, iou")
    unmatched: list[dict[str, Any]] = Field(description="grid, name, side")
    moves: list[dict[str, Any]] = Field(
        description="building_id, building_name, from_grid, from_name, to_grid, to_name, households, "
        "disturbs (type, party_org_id or staff_id, name)"
    )


class JointBranchGroup(Open):
    units: list[str] = Field(description="organization ids, in id order")
    names: list[str | None]
    kinds: list[str]
    communities: list[str]
    members: int = Field(description="full Party members of the units together (at least 3)")
    distance_m: float = Field(description="sum of the pairwise distances, metres")
    cost: float = Field(description="distance_m plus 250 per pair of units of different kinds")


class NamedUnit(Open):
    id: str
    name: str | None = None


class JointBranches(Open):
    area: str
    units: int = Field(description="candidate units: 两新 organizations not covered, below 3 full members")
    groups: list[JointBranchGroup]
    unplaceable: list[NamedUnit] = Field(description="units no valid group can take")
    left_out: list[NamedUnit] = Field(description="units some valid group could take, left out by the optimum")
    candidate_groups: int
    optimal: bool
    method: str = Field(description="how groups are chosen, in Chinese")


class GridBuilding(Open):
    id: str
    status: str
    residential: bool
    households: int
    full_members: int
    eligible: bool
    covered: bool
    has_leader: bool


class GridCoverage(Open):
    area: Area
    metrics: dict[str, Figure]
    generated: bool
    buildings: list[GridBuilding]
    staff: list[Staff]
    gaps: FeatureCollection


class Plan(Open):
    id: int
    name: str
    communities: list[str]
    layer: Layer
    origin: PlanOrigin
    status: PlanStatus
    boundary_weight: float = Field(
        default=0.0, description="price per metre of boundary a proposal was made with; plan scores uses it"
    )


class PlanCreated(Open):
    id: int
    notes: list[str] = Field(default=[], description="what reading an uploaded file decided (its text encoding)")


class PlanVersion(Open):
    id: int
    version: int
    parent: int


class WorkbenchPanel(Open):
    grids: list[dict[str, Any]]
    outside_band: int
    in_pieces: list[str]
    split_groups: list[dict[str, Any]]
    alignment_rate: float | None
    moved_from_governance: int
    moved_from_party: int
    buildings_changed: list[str]
    households_changed: int


class WorkbenchPreview(Open):
    grids: FeatureCollection
    grid_of: dict[str, str] = Field(description="building id -> grid code, for every building the edits moved")
    panel: WorkbenchPanel


class WorkbenchStart(Open):
    plan: dict[str, Any]
    buildings: FeatureCollection
    grids: FeatureCollection
    panel: WorkbenchPanel


class PlanShown(Plan):
    grids: FeatureCollection


class PlanValidation(Open):
    plan: int
    errors: int
    problems: list[dict[str, Any]]


class PlanDiff(Open):
    metrics: dict[str, dict[str, Any]] = Field(description="per community: metric key -> before and after")


class PlanApplied(Open):
    grids_opened: int


class PlanSettled(Open):
    grid: str
    to: str
    scopes_moved: int
    assignments_moved: int
    undecided: list[dict]


class BuildingGrid(Open):
    layer: Layer
    code: str
    name: str | None
    valid_from: dt.date
    valid_to: dt.date | None


class Token(Open):
    access_token: str
    token_type: Literal["bearer"]
    expires_at: dt.datetime


class LoggedOut(Open):
    ended: bool


class Me(Open):
    name: str
    role: UserRole
    role_label: str
    scope: str | None
    registered: bool
    sees_phones_in_scope: bool


class AuditEntry(Open):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target_type: str
    target_id: str | None
    before: Any
    after: Any


class Snapshot(Open):
    id: int
    area: str | None
    taken_at: dt.datetime
    as_of: dt.date


class BuildingEdited(Open):
    id: str


class Appointed(Open):
    """Who was appointed (the new assignment) and whose assignment ended that day."""

    assignment: Assignment
    ended: list[Assignment]


class HistoryEntry(Open):
    at: dt.datetime
    actor: str
    action: str
    target_type: str
    target_id: str | None
    before: dict | None
    after: dict | None


class OrganizationEdited(Open):
    id: str
    has_union: bool | None
    has_youth_league: bool | None


class PartyGroupMade(Open):
    id: str
    name: str
    kind: str
    parent_id: str | None
    buildings: list[str]


class OgcLink(Open):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class OgcLanding(Open):
    title: str
    links: list[OgcLink]


class OgcConformance(Open):
    conformsTo: list[str]  # noqa: N815 - the standard's member name


class OgcCollection(Open):
    id: str
    title: str
    itemType: str  # noqa: N815
    links: list[OgcLink]


class OgcCollections(Open):
    links: list[OgcLink]
    collections: list[OgcCollection]


class OgcQueryables(Open):
    type: Literal["object"]
    properties: dict[str, dict[str, Any]]


class OgcItems(Open):
    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]
    numberReturned: int  # noqa: N815
    links: list[OgcLink]


class MapStyle(Open):
    version: int
    sources: dict[str, Any]
    layers: list[dict[str, Any]]


class TileJson(Open):
    tilejson: str
    tiles: list[str]
    vector_layers: list[dict[str, Any]]


def ok(model: Any, status: int = 200) -> dict:
    """``responses=`` for a route answering ``model`` (documented, not validated at run time)."""
    return {status: {"model": model}}
