"""The one table that turns domain errors into HTTP answers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gridsvc.errors import (
    DatabaseUnavailable,
    GridsvcError,
    ImportRejected,
    InvalidInput,
    NotFound,
    PlanRejected,
)

STATUS: dict[type[GridsvcError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    ImportRejected: 422,
    PlanRejected: 409,
    DatabaseUnavailable: 503,
}


def _status(exc: GridsvcError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def install(app: FastAPI) -> None:
    @app.exception_handler(GridsvcError)
    async def domain_error(request: Request, exc: GridsvcError) -> JSONResponse:
        body: dict = {"detail": str(exc)}
        if isinstance(exc, ImportRejected):
            body["problems"] = [vars(p) for p in exc.problems]
        if isinstance(exc, PlanRejected):
            body["problems"] = [{k: v for k, v in p.items() if k != "geometry"} for p in exc.problems]
        return JSONResponse(status_code=_status(exc), content=body)
