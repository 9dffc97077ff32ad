"""Plan routes: the same operations as ``gridsvc plan …``, over HTTP."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Query, UploadFile
from pydantic import BaseModel, Field

from gridsvc.analysis.objective import Weights
from gridsvc.api import schemas
from gridsvc.api.auth import Caller, CallerDep
from gridsvc.api.geojson import feature_collection, json_value
from gridsvc.errors import InvalidInput
from gridsvc.services import plan_scores as scoring
from gridsvc.services import plans, proposals

router = APIRouter(prefix="/api", tags=["plans"])
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class PlanRequest(BaseModel):
    """A new plan: from the governance grids, the automatic proposal, or the GeoJSON given."""

    communities: list[str] = Field(min_length=1, examples=[["320199001002"]])
    origin: schemas.NewPlanOrigin
    name: str | None = None
    layer: schemas.Layer = "unified"
    grids: dict | None = Field(default=None, description="GeoJSON FeatureCollection (lon/lat) when origin is upload")
    time_limit: float = Field(default=60.0, gt=0, le=600)
    boundary_weight: float = Field(
        default=0.0,
        ge=0,
        le=1000,
        description="with origin proposal: cost per metre of boundary between grids beyond today's "
        "(moving one household off its Party grid costs 1)",
    )
    repair_band: bool = Field(
        default=False,
        description="with origin adopt_governance: then join Party groups and move boundary buildings "
        "until every grid is within the household band (the baseline the proposal is held to)",
    )


def _may_plan(who: Caller, communities: list[str] | None) -> None:
    """A planner (or admin), for communities (or streets) inside their scope; without communities
    named, row-level security keeps the plan's own communities inside it."""
    who.principal.require("plan")
    for code in communities or []:
        who.principal.check(code)


def _plain(row: dict) -> dict:
    return {k: json_value(v) for k, v in row.items()}


@router.get("/plans", response_model=None, responses=schemas.ok(list[schemas.Plan]), summary="Every plan")
def list_plans(who: CallerDep) -> list[dict]:
    return [_plain(p) for p in plans.list_plans(who.db)]


@router.post(
    "/plans",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.PlanCreated, 201),
    summary="Create a draft plan",
)
def create_plan(who: CallerDep, body: PlanRequest) -> dict:
    _may_plan(who, body.communities)
    engine = who.db
    if body.origin == "adopt_governance" and body.repair_band:
        plan_id = proposals.repaired(engine, body.communities, who.limits, body.name, body.layer)
    elif body.origin == "adopt_governance":
        plan_id = plans.adopt_governance(engine, body.communities, body.name, body.layer)
    elif body.origin == "proposal":
        weights = Weights(boundary=body.boundary_weight)
        plan_id, _ = proposals.propose(engine, body.communities, who.limits, body.name, body.time_limit, None, weights)
    else:
        if not (body.grids or {}).get("features"):
            raise InvalidInput("上传的方案需要 grids：含面要素的 GeoJSON FeatureCollection")
        frame = plans.frame_from_geojson(body.grids, "请求正文", "grids.")
        plan_id = plans.create_from_frame(
            engine, frame, body.name or "上传方案", body.communities, body.layer, source="请求正文"
        )
    return {"id": plan_id}


@router.post(
    "/plans/upload",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.PlanCreated, 201),
    summary="Create a draft plan from a GeoPackage or GeoJSON file",
)
def upload_plan(
    who: CallerDep,
    file: UploadFile,
    community: Annotated[
        list[str] | None,
        Query(description="the plan's communities (or streets); needed when the grids have no community_code"),
    ] = None,
    layer: schemas.Layer = "unified",
    name: str | None = None,
) -> dict:
    _may_plan(who, community)
    shown = FilePath(file.filename or "plan.geojson").name  # the user's name for it, in every message
    with tempfile.TemporaryDirectory() as tmp:
        path = FilePath(tmp) / f"plan{FilePath(shown).suffix.lower()}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        plan_id, notes = plans.create_from_file(
            who.db, path, name or FilePath(shown).stem, community, layer, shown_as=shown
        )
    return {"id": plan_id, "notes": notes}


@router.get(
    "/plans/{plan_id}",
    response_model=None,
    responses=schemas.ok(schemas.PlanShown),
    summary="A plan and its grids (GeoJSON)",
)
def show_plan(who: CallerDep, plan_id: PlanId) -> dict:
    info, grids = plans.show_plan(who.db, plan_id)
    return _plain(info) | {"grids": feature_collection(grids, "code")}


@router.get(
    "/plans/{plan_id}/validation",
    response_model=None,
    responses=schemas.ok(schemas.PlanValidation),
    summary="Problems of a plan (domain.md §4 and contiguity)",
)
def validate_plan(who: CallerDep, plan_id: PlanId) -> dict:
    checked = plans.validate(who.db, plan_id, who.limits)
    problems = [
        {k: json_value(v) if k != "grids" else v for k, v in p.items() if k != "geometry"} for p in checked.problems
    ]
    return {"plan": plan_id, "errors": len(checked.errors), "problems": problems}


@router.get(
    "/plans/{plan_id}/diff",
    response_model=None,
    responses=schemas.ok(schemas.PlanDiff),
    summary="What applying a plan would change",
)
def diff_plan(who: CallerDep, plan_id: PlanId, effective: dt.date | None = None) -> dict:
    return plans.validate(who.db, plan_id, who.limits, effective).diff()


@router.post(
    "/plans/{plan_id}/apply",
    response_model=None,
    responses=schemas.ok(schemas.PlanApplied),
    summary="Apply a plan, all or nothing",
)
def apply_plan(who: CallerDep, plan_id: PlanId, effective: dt.date | None = None) -> dict:
    _may_plan(who, None)
    outcome = plans.apply(who.db, plan_id, who.limits, effective)
    return {k: v for k, v in outcome.items() if k != "diff"}


GridCode = Field(pattern=r"^[0-9]{15}$", examples=["320199001002008"])


class SettleRequest(BaseModel):
    """Where a grid that the applied plan closed without a clear successor (待人工确定) went."""

    grid: str = GridCode
    to: str = GridCode


@router.post(
    "/plans/{plan_id}/settle",
    response_model=None,
    responses=schemas.ok(schemas.PlanSettled),
    summary="Say where a grid an applied plan left undecided went; its branch and staff follow",
)
def settle_plan(who: CallerDep, plan_id: PlanId, body: SettleRequest) -> dict:
    _may_plan(who, None)
    return plans.settle(who.db, plan_id, body.grid, body.to)


@router.get(
    "/plans/{plan_id}/scores",
    response_model=None,
    responses=schemas.ok(list[dict]),
    summary="Households a plan moves, beside the live layers",
)
def plan_scores(
    who: CallerDep,
    plan_id: PlanId,
    boundary_weight: float | None = Query(
        None, ge=0, le=1000, description="price per metre of boundary beyond today's; default: the plan's own"
    ),
) -> list[dict]:
    return scoring.scores(who.db, plan_id, who.limits, boundary_weight)


@router.get(
    "/buildings/{building_id}/grids",
    response_model=None,
    responses=schemas.ok(list[schemas.BuildingGrid]),
    summary="Which grid a building was in on a date (history)",
)
def building_grids(who: CallerDep, building_id: str, on: dt.date | None = None) -> list[dict]:
    return [_plain(r) for r in plans.grids_of_building(who.db, building_id, on)]
