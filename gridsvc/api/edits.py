"""Edits by grid leaders (and admins): a building's recorded figures and staff assignments,
inside the caller's area, each audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from sqlalchemy import text

from gridsvc.analysis.metrics import code_pattern
from gridsvc.api import schemas
from gridsvc.api.auth import CallerDep
from gridsvc.api.geojson import json_value
from gridsvc.db.models import BUILDING_USES
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.ingest.schema import PHONE_PATTERN, STAFF
from gridsvc.ingest.values import without_blanks
from gridsvc.labels import not_found
from gridsvc.repository import edits

router = APIRouter(prefix="/api", tags=["edits"])
Count = Annotated[int | None, Field(ge=0, le=100_000)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
GridCode = Annotated[str, Path(pattern=code_pattern("grid"))]


class BuildingChanges(BaseModel):
    """The fields to change; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    use: Literal[BUILDING_USES] | None = None  # type: ignore[valid-type]
    floors: Annotated[int | None, Field(ge=0, le=300)] = None
    units: Count = None
    households: Count = None
    residents: Count = None
    full_members: Count = None
    probationary_members: Count = None
    in_service_members: Count = None  # in-service members living here (在职党员, domain.md §8.1)
    in_service_registered: Count = None  # of them, registered with the community (双报到)


def _plain(row: dict) -> dict:
    return {k: json_value(v) for k, v in row.items()}


@router.patch(
    "/buildings/{building_id}",
    response_model=None,
    responses=schemas.ok(schemas.BuildingEdited),
    summary="Change a building's recorded figures (grid leaders)",
)
def update_building(who: CallerDep, building_id: Annotated[str, Path(max_length=200)], body: BuildingChanges) -> dict:
    who.principal.require("edit")
    changes = body.model_dump(exclude_unset=True)
    if "use" in changes and changes["use"] is None:
        raise InvalidInput(f"use 不能为空，应为 {', '.join(BUILDING_USES)} 之一")
    with who.db.begin() as conn:
        return {"id": building_id} | _plain(edits.update_building(conn, building_id, changes))


class NewAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff_id: str = Field(min_length=1, max_length=200)
    target_type: schemas.AssignmentTarget
    target_id: str = Field(min_length=1, max_length=200)
    start_date: dt.date | None = None


@router.post(
    "/assignments",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.Assignment, 201),
    summary="Assign a staff member to a grid, building or organization",
)
def add_assignment(who: CallerDep, body: NewAssignment) -> dict:
    who.principal.require("edit")
    with who.db.begin() as conn:
        return _plain(edits.add_assignment(conn, body.staff_id, body.target_type, body.target_id, body.start_date))


class AssignmentEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    end_date: dt.date = Field(default_factory=dt.date.today)


@router.post(
    "/assignments/{assignment_id}/end",
    response_model=None,
    responses=schemas.ok(schemas.Assignment),
    summary="End a staff assignment (it stays as history)",
)
def end_assignment(who: CallerDep, assignment_id: RowId, body: AssignmentEnd) -> dict:
    who.principal.require("edit")
    with who.db.begin() as conn:
        return _plain(edits.end_assignment(conn, assignment_id, body.end_date))


class Appointment(BaseModel):
    """Who takes the post from ``start_date`` (default today): one of the area's staff by
    ``staff_id``, or a new person by ``name`` and ``phone``."""

    model_config = ConfigDict(extra="forbid")
    staff_id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    # typed in groups on a phone (139 1234 5679): stored without the blanks, as imports store it
    phone: Annotated[str | None, BeforeValidator(without_blanks)] = Field(
        default=None, pattern=f"^{PHONE_PATTERN}$", description=STAFF.column("phone").describe
    )
    start_date: dt.date = Field(default_factory=dt.date.today)

    @model_validator(mode="after")
    def _one_person(self):
        if (self.staff_id is None) == (self.name is None):
            raise ValueError("请给出 staff_id（已在此工作的人员）或新人员的 name（及 phone），二者选一")
        return self


@router.post(
    "/buildings/{building_id}/leader",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.Appointed, 201),
    summary="Appoint a building's leader (楼栋长): the current one's assignment ends that day",
)
def appoint_leader(who: CallerDep, building_id: Annotated[str, Path(max_length=200)], body: Appointment) -> dict:
    who.principal.require("edit")
    return _appoint(who, "building", building_id, body)


def _appoint(who, target_type: str, target_id: str, body: Appointment, role: str | None = None, fulltime=False) -> dict:
    with who.db.begin() as conn:
        made = edits.appoint(
            conn, target_type, target_id, body.staff_id, body.name, body.phone, body.start_date, role, fulltime
        )
    return _plain(made | {"assignment": _plain(made["assignment"]), "ended": [_plain(e) for e in made["ended"]]})


@router.post(
    "/organizations/{organization_id}/liaison",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.Appointed, 201),
    summary="Send a Party-building liaison (党建指导员) to an organization (planners, grid leaders)",
)
def appoint_liaison(who: CallerDep, organization_id: Annotated[str, Path(max_length=200)], body: Appointment) -> dict:
    who.principal.require("organize")
    return _appoint(who, "organization", organization_id, body)


class OrganizationChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    has_union: bool | None = None
    has_youth_league: bool | None = None


@router.patch(
    "/organizations/{organization_id}",
    response_model=None,
    responses=schemas.ok(schemas.OrganizationEdited),
    summary="Record an organization's union and Youth League (planners, grid leaders)",
)
def update_organization(
    who: CallerDep, organization_id: Annotated[str, Path(max_length=200)], body: OrganizationChanges
) -> dict:
    who.principal.require("organize")
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    with who.db.begin() as conn:
        return {"id": organization_id} | _plain(edits.update_organization(conn, organization_id, changes))


@router.get(
    "/buildings/{building_id}/history",
    response_model=None,
    responses=schemas.ok(list[schemas.HistoryEntry]),
    summary="Who changed what about a building",
)
def building_history(request: Request, who: CallerDep, building_id: Annotated[str, Path(max_length=200)]) -> list:
    """The audit log's entries about the building, its assignments and its leaders, newest first;
    for anyone who may see the building."""
    return _history(request, who, "building", building_id)


def _history(request: Request, who, target_type: str, target_id: str) -> list:
    """The audit entries about a target the caller can see (the log itself is the owner's to read)."""
    table, key = edits.TARGETS[target_type]
    with who.db.connect() as conn:
        if conn.scalar(text(f"SELECT 1 FROM {table} WHERE {key} = :id"), {"id": target_id}) is None:
            raise NotFound(not_found(target_type, target_id))
    with request.app.state.engine.connect() as conn:  # the audit log is the owner's; sight checked above
        return [_plain(e) for e in edits.history(conn, target_id, target_type=target_type)]


class PartyGroup(BaseModel):
    """A building Party group set up: its name, full members and the buildings it covers."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    full_members: Count = None
    buildings: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=50)
    founded: dt.date = Field(default_factory=dt.date.today)


@router.post(
    "/party-groups",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.PartyGroupMade, 201),
    summary="Record a building Party group set up",
)
def add_party_group(request: Request, who: CallerDep, body: PartyGroup) -> dict:
    """The group is placed under the branch of its first building's Party grid, when it has one."""
    who.principal.require("edit")
    with request.app.state.engine.connect() as conn:  # the Party side may lie outside a grid leader's sight
        parent = edits.branch_of(conn, body.buildings[0])
    with who.db.begin() as conn:
        made = edits.set_up_party_group(conn, body.name, body.full_members, body.buildings, body.founded, parent)
    return _plain(made)


class GridPost(Appointment):
    """A grid's leader (the sitting one hands over that day) or one more grid worker."""

    role: Literal["grid_leader", "grid_worker"]
    fulltime: bool = True


@router.post(
    "/grids/{code}/staff",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.Appointed, 201),
    summary="Appoint a grid leader or worker",
)
def appoint_grid_staff(who: CallerDep, code: GridCode, body: GridPost) -> dict:
    who.principal.require("edit")
    return _appoint(who, "grid", who.principal.check(code, "grid"), body, body.role, body.fulltime)


class Leaving(BaseModel):
    model_config = ConfigDict(extra="forbid")
    end_date: dt.date = Field(default_factory=dt.date.today)


@router.post(
    "/grids/{code}/staff/{staff_id}/end",
    response_model=None,
    responses=schemas.ok(list[schemas.Assignment]),
    summary="A grid's leader or worker leaves",
)
def leave_grid(who: CallerDep, code: GridCode, staff_id: Annotated[str, Path(max_length=200)], body: Leaving) -> list:
    who.principal.require("edit")
    with who.db.begin() as conn:
        return [
            _plain(e) for e in edits.leave(conn, "grid", who.principal.check(code, "grid"), staff_id, body.end_date)
        ]


class OrgParty(BaseModel):
    """An organization's own Party organization set up (单独组建)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["branch", "general_branch", "committee"] = "branch"
    full_members: Count = None
    founded: dt.date = Field(default_factory=dt.date.today)


@router.post(
    "/organizations/{organization_id}/party-org",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.PartyGroupMade, 201),
    summary="Record an organization's own Party organization (planners, grid leaders)",
)
def add_org_party(
    request: Request, who: CallerDep, organization_id: Annotated[str, Path(max_length=200)], body: OrgParty
) -> dict:
    """Placed under the Party committee of the organization's community, when it has one."""
    who.principal.require("organize")
    with request.app.state.engine.connect() as conn:  # the community's committee may lie above the scope
        parent = edits.committee_of(conn, organization_id)
    with who.db.begin() as conn:
        made = edits.set_up_org_party(
            conn, organization_id, body.name, body.kind, body.full_members, body.founded, parent
        )
    return _plain(made | {"buildings": []})


@router.get(
    "/grids/{code}/history",
    response_model=None,
    responses=schemas.ok(list[schemas.HistoryEntry]),
    summary="Who changed what about a grid's staff",
)
def grid_history(request: Request, who: CallerDep, code: GridCode) -> list:
    """The audit log's entries about the grid, its assignments and its people, newest first."""
    return _history(request, who, "grid", who.principal.check(code, "grid"))
