"""The planner's workbench over HTTP: open a plan for editing, preview a list of edits, save them as
the plan's next version, list its versions. Every edit is :mod:`gridsvc.analysis.workbench`'s, so the
page and a script sending the same edits get the same plan."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gridsvc.api import schemas
from gridsvc.api.auth import CallerDep
from gridsvc.api.geojson import feature_collection, json_value
from gridsvc.api.plans import PlanId
from gridsvc.services import workbench

router = APIRouter(prefix="/api", tags=["plans"])

Edit = Annotated[
    dict[str, Any],
    Field(
        description='{"op": "move", "buildings": [ids], "to": code} | {"op": "new", "buildings": [ids]} | '
        '{"op": "split", "line": [[lon, lat], ...]} | {"op": "merge", "grids": [code, code, ...]}',
        examples=[{"op": "move", "buildings": ["demo-b00012"], "to": "320199001002002"}],
    ),
]


class Edits(BaseModel):
    """Edits in the order they were made (undo drops the last; redo puts it back)."""

    edits: list[Edit] = Field(default_factory=list, max_length=workbench.MAX_EDITS)


class NewVersion(Edits):
    name: str | None = Field(default=None, max_length=200, description="default: the plan's name and version")


@router.get(
    "/plans/{plan_id}/workbench",
    response_model=None,
    responses=schemas.ok(schemas.WorkbenchStart),
    summary="A plan opened for editing: its buildings, grids and figures",
)
def open_plan(who: CallerDep, plan_id: PlanId) -> dict:
    who.principal.require("plan")
    begun = workbench.start(who.db, plan_id, who.limits)
    return {
        "plan": {k: json_value(v) for k, v in begun["plan"].items()},
        "buildings": feature_collection(begun["buildings"], "id"),
        "grids": feature_collection(begun["grids"], "code"),
        "panel": begun["panel"],
    }


@router.post(
    "/plans/{plan_id}/preview",
    response_model=None,
    responses=schemas.ok(schemas.WorkbenchPreview),
    summary="What a list of edits makes of a plan (nothing is stored)",
)
def preview(who: CallerDep, plan_id: PlanId, body: Edits) -> dict:
    who.principal.require("plan")
    seen = workbench.preview(who.db, plan_id, body.edits, who.limits)
    return {"grids": feature_collection(seen["grids"], "code"), "grid_of": seen["grid_of"], "panel": seen["panel"]}


@router.post(
    "/plans/{plan_id}/versions",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.PlanVersion, 201),
    summary="Save the edits as the plan's next version (a new draft plan), audited",
)
def save(who: CallerDep, plan_id: PlanId, body: NewVersion) -> dict:
    who.principal.require("plan")
    return workbench.save(who.db, plan_id, body.edits, who.limits, body.name)


@router.get(
    "/plans/{plan_id}/versions",
    response_model=None,
    responses=schemas.ok(list[schemas.Plan]),
    summary="The plan's versions, oldest first",
)
def versions(who: CallerDep, plan_id: PlanId) -> list[dict]:
    return [{k: json_value(v) for k, v in row.items()} for row in workbench.versions(who.db, plan_id)]
