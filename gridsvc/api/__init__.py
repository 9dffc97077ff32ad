"""The HTTP API: ``create_app(settings)`` builds a FastAPI app; routes stay thin."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from gridsvc import __version__
from gridsvc.api import (
    auth,
    cobuilding,
    edits,
    errors,
    guard,
    maps,
    ogc,
    pages,
    plans,
    reports,
    routes,
    targets,
    workbench,
)
from gridsvc.rendering import assets
from gridsvc.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The gridsvc API. The database engine is made on startup (starting the private PostGIS if needed)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from gridsvc.db.engine import make_engine

        if getattr(app.state, "engine", None) is not None:  # given one (tests): not ours to make or to dispose
            yield
            return
        app.state.engine = make_engine(settings)
        yield
        app.state.engine.dispose()
        app.state.engine = None

    app = FastAPI(
        title="gridsvc",
        version=__version__,
        description="网格化管理服务: grids (网格), buildings (楼栋), Party organizations, staff and their coverage.",
        lifespan=lifespan,
        docs_url=None,  # served by api.pages from the package (offline, under a CSP)
        redoc_url=None,
    )
    app.state.settings = settings
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(auth.pages)
    app.include_router(pages.router)
    app.include_router(ogc.router)
    app.include_router(routes.router)
    app.include_router(edits.router)
    app.include_router(plans.router)
    app.include_router(workbench.router)
    app.include_router(reports.router)
    app.include_router(targets.router)
    app.include_router(cobuilding.router)
    app.include_router(maps.router)
    app.include_router(maps.tiles)
    # fetched by `./dev setup` (python -m gridsvc.rendering.assets); maps say so when missing
    app.mount("/static/vendor", StaticFiles(directory=assets.VENDOR, check_dir=False), name="vendor")
    # added innermost first: a request meets Admission, then SecurityHeaders, SameOrigin, BodyLimits, gzip
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:  # bearer tokens only: a cookie login never travels to another origin's page
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    app.add_middleware(guard.BodyLimits, max_bytes=int(settings.max_upload_mb * (1 << 20)))
    app.add_middleware(guard.SameOrigin)
    app.add_middleware(guard.SecurityHeaders)
    app.add_middleware(guard.Admission, limit=settings.max_connections, wait=settings.request_wait_seconds)
    return app


def from_environment() -> FastAPI:
    """The app as each of ``gridsvc serve --workers N``'s processes makes it: settings from the
    environment (GRIDSVC_*)."""
    return create_app(Settings())


def server_config(app: FastAPI, settings: Settings, host: str, port: int, log_level: str = "info"):
    """How gridsvc runs under uvicorn (``gridsvc serve`` and the tests' live servers alike): uvicorn
    rewrites no client address from X-Forwarded-For, the app does that for GRIDSVC_TRUSTED_PROXIES
    only (api.guard.client_address)."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level=log_level, proxy_headers=False)
