"""Registration and co-building (报到、共驻共建, domain.md §8.1): read by anyone in the scope; registrations,
agreements, list items and unit seats set and removed by admins, planners and grid leaders
(``organize``) inside their scope, each change audited. In-service member counts are a building's
figures (``PATCH /api/buildings/{id}``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gridsvc.analysis.metrics import code_pattern
from gridsvc.api import schemas
from gridsvc.api.auth import CallerDep
from gridsvc.db.models import COBUILDING_LISTS, FACILITY_LEVELS, ITEM_STATUSES
from gridsvc.services import cobuilding

router = APIRouter(prefix="/api", tags=["co-building"])
AREA = code_pattern("district", "street", "community")
STREET_OR_COMMUNITY = code_pattern("street", "community")
COMMUNITY = code_pattern("community")
Id = Annotated[str, Field(min_length=1, max_length=200)]
IdPath = Annotated[str, Path(min_length=1, max_length=200)]
Text = Annotated[str | None, Field(default=None, max_length=500)]


class ResidentUnit(schemas.Open):
    """A resident unit (驻区单位) as domain.md §8.1 follows it."""

    id: str
    name: str | None
    community: str | None
    own_party_org: bool
    registered_with: list[str]
    registration: Literal["registered", "elsewhere", "not_registered", "no_party_org", "not_judged"]
    registration_label: str
    agreement_in_force: bool
    seat: bool


class Agreement(schemas.Open):
    id: str
    area_code: str
    organization_id: str
    valid_from: dt.date
    valid_to: dt.date | None
    in_force: bool


class CobuildingItem(schemas.Open):
    id: str
    area_code: str
    list: Literal["need", "resource", "project"]
    list_label: str
    description: str
    status: Literal["open", "matched", "done"]
    status_label: str
    location: list[float] | None = Field(description="[lon, lat], or none")
    unmet: bool = Field(description="a need open past GRIDSVC_NEED_OPEN_DAYS (need_unmet)")


class Seat(schemas.Open):
    community_code: str
    organization_id: str
    holder: str | None


class Cobuilding(schemas.Open):
    area: str
    as_of: dt.date
    figures: dict[str, schemas.Figure]
    units: list[ResidentUnit]
    agreements: list[Agreement]
    items: list[CobuildingItem]
    seats: list[Seat]


class RecordStored(schemas.Open):
    """The record as stored, and whether it is new (201) or changed (200)."""

    created: bool


class Facility(schemas.Open):
    id: str
    name: str
    level: str
    level_label: str
    floor_area: int | None
    building_id: str | None
    community: str
    location: list[float] = Field(description="[lon, lat]")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegistrationSet(Strict):
    organization_id: Id
    community_code: str = Field(pattern=COMMUNITY, description="the community registered with (12 digits)")
    registered_on: dt.date | None = None


class AgreementSet(Strict):
    id: Id
    area_code: str = Field(pattern=STREET_OR_COMMUNITY, description="the community or street (12 or 9 digits)")
    organization_id: Id
    valid_from: dt.date
    valid_to: dt.date | None = None
    note: Text = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self):
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} 早于 valid_from {self.valid_from}")
        return self


class ItemSet(Strict):
    id: Id
    area_code: str = Field(pattern=STREET_OR_COMMUNITY)
    list: Literal[COBUILDING_LISTS]  # type: ignore[valid-type]
    kind: Annotated[str | None, Field(max_length=100)] = None
    description: str = Field(min_length=1, max_length=1000)
    status: Literal[ITEM_STATUSES] = "open"  # type: ignore[valid-type]
    opened_on: dt.date | None = None
    organization_id: Id | None = None
    building_id: Id | None = None
    lon: float | None = Field(default=None, ge=73, le=136, description="where it is (CGCS2000 longitude)")
    lat: float | None = Field(default=None, ge=3, le=54)

    @model_validator(mode="after")
    def _both_or_neither(self):
        if (self.lon is None) != (self.lat is None):
            raise ValueError("位置需要同时给出 lon 和 lat")
        return self


class SeatSet(Strict):
    community_code: str = Field(pattern=COMMUNITY)
    organization_id: Id
    holder: Annotated[str | None, Field(max_length=100)] = None
    since: dt.date | None = None


@router.get(
    "/cobuilding",
    response_model=None,
    responses=schemas.ok(Cobuilding),
    summary="Resident units of an area with their registration, agreement and seat; the agreements, lists and seats",
)
def overview(who: CallerDep, area: Annotated[str, Query(pattern=AREA)]) -> dict:
    return cobuilding.overview(who.db, who.area(area), limits=who.limits)


def _put(who, kind: str, body: BaseModel, response: Response) -> dict:
    stored = cobuilding.put(who.db, kind, body.model_dump())
    response.status_code = 201 if stored["created"] else 200
    return stored


@router.put(
    "/registrations",
    response_model=None,
    responses=schemas.ok(RecordStored),
    summary="Record a unit's registration (audited)",
)
def put_registration(who: CallerDep, body: RegistrationSet, response: Response) -> dict:
    return _put(who, "registration", body, response)


@router.delete(
    "/registrations/{organization_id}/{community_code}",
    status_code=204,
    response_class=Response,
    summary="Remove a registration (audited)",
)
def remove_registration(
    who: CallerDep, organization_id: IdPath, community_code: Annotated[str, Path(pattern=COMMUNITY)]
) -> Response:
    cobuilding.remove(who.db, "registration", {"organization_id": organization_id, "community_code": community_code})
    return Response(status_code=204)


@router.put(
    "/cobuilding/agreements",
    response_model=None,
    responses=schemas.ok(RecordStored),
    summary="Record an agreement (audited)",
)
def put_agreement(who: CallerDep, body: AgreementSet, response: Response) -> dict:
    return _put(who, "agreement", body, response)


@router.delete(
    "/cobuilding/agreements/{agreement_id}",
    status_code=204,
    response_class=Response,
    summary="Remove an agreement (audited)",
)
def remove_agreement(who: CallerDep, agreement_id: IdPath) -> Response:
    cobuilding.remove(who.db, "agreement", {"id": agreement_id})
    return Response(status_code=204)


@router.put(
    "/cobuilding/items",
    response_model=None,
    responses=schemas.ok(RecordStored),
    summary="Record a need, resource or project (audited)",
)
def put_item(who: CallerDep, body: ItemSet, response: Response) -> dict:
    return _put(who, "item", body, response)


@router.delete(
    "/cobuilding/items/{item_id}", status_code=204, response_class=Response, summary="Remove a list item (audited)"
)
def remove_item(who: CallerDep, item_id: IdPath) -> Response:
    cobuilding.remove(who.db, "item", {"id": item_id})
    return Response(status_code=204)


@router.put(
    "/cobuilding/seats",
    response_model=None,
    responses=schemas.ok(RecordStored),
    summary="Record a unit seat (audited)",
)
def put_seat(who: CallerDep, body: SeatSet, response: Response) -> dict:
    return _put(who, "seat", body, response)


@router.delete(
    "/cobuilding/seats/{community_code}/{organization_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a unit seat (audited)",
)
def remove_seat(
    who: CallerDep, community_code: Annotated[str, Path(pattern=COMMUNITY)], organization_id: IdPath
) -> Response:
    cobuilding.remove(who.db, "seat", {"community_code": community_code, "organization_id": organization_id})
    return Response(status_code=204)


class FacilitySet(Strict):
    id: Id
    name: str = Field(min_length=1, max_length=200)
    level: Literal[FACILITY_LEVELS]  # type: ignore[valid-type]
    floor_area: Annotated[int | None, Field(ge=0, le=1_000_000)] = None
    building_id: Id | None = None
    lon: float = Field(ge=73, le=136, description="CGCS2000 longitude")
    lat: float = Field(ge=3, le=54)


@router.get(
    "/facilities",
    response_model=None,
    responses=schemas.ok(list[Facility]),
    summary="Service facilities (党群服务中心/站) standing in an area",
)
def list_facilities(who: CallerDep, area: Annotated[str, Query(pattern=AREA)]) -> list[dict]:
    return cobuilding.facilities(who.db, who.area(area))


@router.put(
    "/facilities",
    response_model=None,
    responses=schemas.ok(RecordStored),
    summary="Record a service facility (audited)",
)
def put_facility(who: CallerDep, body: FacilitySet, response: Response) -> dict:
    stored = cobuilding.put_facility(who.db, body.model_dump())
    response.status_code = 201 if stored["created"] else 200
    return stored


@router.delete(
    "/facilities/{facility_id}", status_code=204, response_class=Response, summary="Remove a facility (audited)"
)
def remove_facility(who: CallerDep, facility_id: IdPath) -> Response:
    cobuilding.remove_facility(who.db, facility_id)
    return Response(status_code=204)
