"""The ``gridsvc`` command line, by topic (db, data, coverage, maps, reports, plans, users): thin over
:mod:`gridsvc.services`."""

from __future__ import annotations

import click
from pydantic import ValidationError
from pydantic_settings import SettingsError

from gridsvc.cli.click_words import speak_chinese
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.labels import say, validation_message
from gridsvc.settings import Settings

speak_chinese()  # click's own refusals and help headings, before the commands below are made


@click.group()
@click.version_option(package_name="gridsvc")
@click.pass_context
def main(ctx: click.Context) -> None:
    """gridsvc 网格化管理：网格、楼栋、党组织和网格工作人员（PostGIS）。

    Grids, buildings, Party organizations and staff in PostGIS.

    Without GRIDSVC_DATABASE_URL a private PostGIS is created and started under GRIDSVC_HOME.
    """
    try:
        ctx.obj = Settings()
    except (ValidationError, SettingsError) as exc:  # a bad GRIDSVC_* value: named, no traceback
        raise click.ClickException(f"配置有误（configuration）：{_setting_problem(exc)}") from None


def _setting_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(f"GRIDSVC_{str(e['loc'][0]).upper()}：{validation_message(e)}" for e in exc.errors())
    field = str(exc).split('"')[1] if '"' in str(exc) else ""
    return f"GRIDSVC_{field.upper()}：不是有效的 JSON" if field else str(exc)


@main.command()
@click.option("--host", default=None, help="监听地址（GRIDSVC_HOST，默认 127.0.0.1）。Address to listen on.")
@click.option("--port", type=int, default=None, help="端口（GRIDSVC_PORT，默认 8000）。Port.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="服务进程数（默认 CPU 核数）。Server processes (default: the machine's cores).",
)
@click.pass_obj
@_fail_cleanly
def serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    """启动 API 服务（接口文档 /docs）。Serve the API.

    Several workers share the port; each keeps its own pool of GRIDSVC_DB_POOL_SIZE connections.
    """
    import os

    import uvicorn

    from gridsvc.api import create_app, server_config

    settings = settings.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v})
    workers = workers or os.cpu_count() or 1
    click.echo(say("serving", host=settings.host, port=settings.port), err=True)
    if workers == 1:
        uvicorn.Server(server_config(create_app(settings), settings, settings.host, settings.port)).run()
        return
    from gridsvc.db.engine import make_engine

    make_engine(settings).dispose()  # the private PostGIS started and migrated once, before the workers
    uvicorn.run(
        "gridsvc.api:from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        proxy_headers=False,  # as server_config: only GRIDSVC_TRUSTED_PROXIES are believed (api.guard)
        log_level="info",
    )


from gridsvc.cli import batch, coverage, data, db, maps, plan_apply, plans, reports, suggest, targets, users, workbench  # noqa: E402, F401 - the commands, by topic (plan_apply and workbench add to plan)

main.add_command(db.db)
main.add_command(batch.batch)
main.add_command(suggest.suggest)
main.add_command(targets.target)
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
