"""The ``gridsvc`` command line, by topic (db, data, coverage, maps, reports, plans, users): thin over
:mod:`gridsvc.services`."""

from __future__ import annotations

import click

from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.settings import Settings


@click.group()
@click.version_option(package_name="gridsvc")
@click.pass_context
def main(ctx: click.Context) -> None:
    """gridsvc — 网格化管理: grids, buildings, Party organizations and staff in PostGIS.

    Without GRIDSVC_DATABASE_URL a private PostGIS is created and started under GRIDSVC_HOME.
    """
    ctx.obj = Settings()


@main.command()
@click.option("--host", default=None, help="Address to listen on (GRIDSVC_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (GRIDSVC_PORT, default 8000).")
@click.pass_obj
@_fail_cleanly
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn

    from gridsvc.api import create_app, server_config

    settings = settings.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v})
    app = create_app(settings)
    click.echo(f"serving on http://{settings.host}:{settings.port}  (API docs: /docs)", err=True)
    uvicorn.Server(server_config(app, settings, settings.host, settings.port)).run()


from gridsvc.cli import coverage, data, db, maps, plans, reports, users  # noqa: E402 - the commands, by topic

main.add_command(db.db)
for command in (
    data.import_,
    data.export,
    data.demo,
    coverage.coverage_,
    coverage.gaps_,
    coverage.alignment_,
    maps.map_,
    reports.report_,
    reports.snapshot_,
    plans.plan,
    plans.history,
    users.user,
    users.audit_,
):
    main.add_command(command)
