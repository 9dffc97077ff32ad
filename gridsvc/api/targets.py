"""Targets (目标, domain.md §8.5): read by anyone in the scope beside the current figures, set and
removed by admins and planners inside their scope, each change audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gridsvc.analysis.metrics import METRICS, code_pattern
from gridsvc.api import schemas
from gridsvc.api.auth import CallerDep
from gridsvc.services import targets

router = APIRouter(prefix="/api", tags=["targets"])
AREA = code_pattern("district", "street", "community")
MetricKey = Literal[tuple(m.key for m in METRICS)]  # type: ignore[valid-type]


class TargetFigure(BaseModel):
    area: str
    name: str
    metric: str
    label: str = Field(description="the metric in Chinese")
    target: float
    current: float | None = Field(description="the area's figure today (None: no figure)")
    short: float | None = Field(description="how far the figure falls short of the target (0: met)")
    due_date: dt.date
    days_left: int = Field(description="negative: overdue")
    status: Literal["met", "open", "missed", "unknown"]
    status_label: str


class TargetSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area_code: str = Field(pattern=AREA, description="district (6), street (9) or community (12 digits)")
    metric: MetricKey
    value: float = Field(ge=0, le=1e9, description="a rate as 0–1; households per worker as a number")
    due_date: dt.date
    note: str | None = Field(default=None, max_length=500)


class TargetStored(BaseModel):
    area: str
    metric: str
    due_date: dt.date
    value: float
    note: str | None
    created: bool


@router.get(
    "/targets",
    response_model=None,
    responses=schemas.ok(list[TargetFigure]),
    summary="Targets of an area and the areas inside it, beside today's figures",
)
def list_targets(who: CallerDep, area: Annotated[str, Query(pattern=AREA)]) -> list[dict]:
    return targets.listed(who.db, who.area(area), limits=who.limits)


@router.put(
    "/targets",
    response_model=None,
    responses=schemas.ok(TargetStored),
    summary="Set a target of an area (admins, planners; audited)",
)
def set_target(who: CallerDep, body: TargetSet, response: Response) -> dict:
    stored = targets.set_target(who.db, body.area_code, body.metric, body.value, body.due_date, body.note)
    response.status_code = 201 if stored["created"] else 200
    return stored


@router.delete(
    "/targets/{area}/{metric}/{due_date}",
    status_code=204,
    response_class=Response,
    summary="Remove a target (admins, planners; audited)",
)
def remove_target(
    who: CallerDep,
    area: Annotated[str, Path(pattern=AREA)],
    metric: Annotated[MetricKey, Path()],
    due_date: dt.date,
) -> Response:
    targets.remove_target(who.db, area, metric, due_date)
    return Response(status_code=204)
