"""Report and snapshot routes: the same as ``gridsvc report`` and ``gridsvc snapshot``, over HTTP."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from gridsvc.analysis.metrics import code_pattern
from gridsvc.api import schemas
from gridsvc.api.auth import CallerDep
from gridsvc.api.geojson import json_value
from gridsvc.services import reports

router = APIRouter(prefix="/api", tags=["reports"])
ReportArea = Annotated[
    str,
    Path(
        pattern=code_pattern("district", "street", "community"),
        description="district (6), street (9) or community (12 digits)",
    ),
]


@router.get(
    "/reports/{area}",
    summary="Coverage-gap report of an area as HTML, Excel (xlsx) or PDF",
    response_class=Response,
    responses={200: {"content": {media: {} for media in reports.FORMATS.values()}}},
)
def report(
    who: CallerDep,
    area: ReportArea,
    format: Annotated[Literal["html", "xlsx", "pdf"], Query(description="html, xlsx or pdf")] = "html",
) -> Response:
    """Headline metrics with counts, rankings worst first, the action list, the gap map, charts,
    alignment and the change since the newest snapshot. The HTML links the interactive map."""
    settings = who.settings
    made = reports.report(
        who.db,
        who.principal.check(area),
        who.limits,
        map_link=f"/maps/coverage/{area}",
        deadlines=who.settings.deadline_days,
        weights=who.settings.assessment_weights,
    )
    body = reports.render(made, format, settings.report_font)
    disposition = "inline" if format == "html" else "attachment"
    return Response(
        body,
        media_type=reports.FORMATS[format],
        headers={"Content-Disposition": f'{disposition}; filename="report-{area}.{format}"'},
    )


class SnapshotRequest(BaseModel):
    area: str | None = Field(
        default=None,
        pattern=code_pattern("district", "street", "community"),
        description="district, street or community; none: the caller's whole scope",
    )
    note: str | None = Field(default=None, max_length=500)


@router.post(
    "/snapshots",
    status_code=201,
    response_model=None,
    responses=schemas.ok(schemas.Snapshot, 201),
    summary="Store the coverage tree of an area with the time",
)
def take_snapshot(who: CallerDep, body: SnapshotRequest) -> dict:
    who.principal.require("snapshot")
    record = reports.take_snapshot(who.db, who.area(body.area), who.limits, body.note)
    return {k: json_value(v) for k, v in record.items()}


@router.get(
    "/snapshots",
    response_model=None,
    responses=schemas.ok(list[schemas.Snapshot]),
    summary="Stored snapshots, newest first",
)
def snapshots(who: CallerDep) -> list[dict]:
    return [{k: json_value(v) for k, v in r.items()} for r in reports.snapshots(who.db)]
