"""The one table that turns domain errors into HTTP answers."""

from __future__ import annotations

import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gridsvc.api.guard import RETRY_AFTER, overloaded
from gridsvc.errors import (
    DatabaseUnavailable,
    Forbidden,
    GridsvcError,
    ImportRejected,
    InvalidInput,
    NotFound,
    PlanRejected,
    TooManyAttempts,
    Unauthenticated,
)
from gridsvc.labels import validation_message

STATUS: dict[type[GridsvcError], int] = {
    NotFound: 404,
    Unauthenticated: 401,
    Forbidden: 403,
    TooManyAttempts: 429,
    InvalidInput: 422,
    ImportRejected: 422,
    PlanRejected: 409,
    DatabaseUnavailable: 503,
}


def _status(exc: GridsvcError, request: Request) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return _bad_request(STATUS[kind], request)
    return 500


def _bad_request(status: int, request: Request) -> int:
    """OGC API – Features asks for 400 where the rest of the API answers 422 (a request that does not fit)."""
    return 400 if status == 422 and request.url.path.startswith("/ogc") else status


def _unstorable(error: Exception) -> JSONResponse:
    """A value the database cannot hold or use (a NUL byte, a number out of range): the request's fault."""
    first = str(error).splitlines()[0]
    return JSONResponse(status_code=422, content={"detail": f"请求中有值无法使用：{first}"})


def _unreachable(error: Exception) -> bool:
    """The database is down, restarting or dropped the connection (not the request's fault)."""
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


OUTAGE = "数据库没有响应（已停止或正在重启），请稍后再试"


def install(app: FastAPI) -> None:
    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(request: Request, exc: PoolTimeout) -> JSONResponse:
        return overloaded("服务繁忙（没有空闲的数据库连接），请稍后再试")

    async def driver_outage(request: Request, exc: Exception) -> JSONResponse:
        return overloaded(OUTAGE)

    for kind in (psycopg.OperationalError, psycopg.InterfaceError):  # raised straight from the driver
        app.add_exception_handler(kind, driver_outage)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if _unreachable(exc.orig) or exc.connection_invalidated:
            return overloaded(OUTAGE)
        # row-level security refusing a write outside the caller's area
        if getattr(exc.orig, "sqlstate", None) == "42501":
            return JSONResponse(status_code=403, content={"detail": "超出你的范围：数据库拒绝了这项修改"})
        if isinstance(exc, DataError):
            return _unstorable(exc.orig)
        raise exc

    @app.exception_handler(psycopg.DataError)  # raised straight from the driver (repository.read.frame)
    async def driver_data_error(request: Request, exc: psycopg.DataError) -> JSONResponse:
        return _unstorable(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = jsonable_encoder(exc.errors())
        for error in errors:
            error["msg"] = validation_message(error)
        return JSONResponse(status_code=_bad_request(422, request), content={"detail": errors})

    @app.exception_handler(GridsvcError)
    async def domain_error(request: Request, exc: GridsvcError) -> JSONResponse:
        body: dict = {"detail": str(exc)}
        if isinstance(exc, ImportRejected):
            body["problems"] = [vars(p) for p in exc.problems]
        if isinstance(exc, PlanRejected):
            body["problems"] = [{k: v for k, v in p.items() if k != "geometry"} for p in exc.problems]
        headers = {}
        if isinstance(exc, Unauthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, TooManyAttempts):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, DatabaseUnavailable):
            headers["Retry-After"] = str(RETRY_AFTER)
        return JSONResponse(status_code=_status(exc, request), content=body, headers=headers)
