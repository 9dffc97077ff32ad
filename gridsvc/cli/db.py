"""``gridsvc db …``: the database gridsvc uses (the private PostGIS or GRIDSVC_DATABASE_URL)."""

from __future__ import annotations

import click

from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.labels import SAYS, say
from gridsvc.services import imports
from gridsvc.settings import Settings


@click.group()
def db() -> None:
    """数据库：状态、启动、停止、重置。The database: status, start, stop, reset."""


@db.command("status")
@click.pass_obj
@_fail_cleanly
def db_status(settings: Settings) -> None:
    """数据库的位置、运行状态、迁移版本和各表行数。Where the database is and what it holds."""
    from gridsvc.db.engine import current_revision, local_cluster

    if settings.database_url:
        click.echo(say("db_url", url=settings.database_url))
    else:
        cluster = local_cluster(settings)
        state = "running" if cluster.running() else ("stopped" if cluster.initialized() else "absent")
        click.echo(say("db_private", home=cluster.home, state=SAYS["db_state"][state]))
        if state != "running":
            return
    engine = _engine(settings)
    click.echo(say("migration", revision=current_revision(engine)))
    for table, count in imports.inventory(engine).items():
        click.echo(f"  {table:<23}{count:>9}")


@db.command("start")
@click.pass_obj
@_fail_cleanly
def db_start(settings: Settings) -> None:
    """创建（首次）并启动私有 PostGIS，执行迁移。Create and start the private PostGIS."""
    _engine(settings)
    click.echo(say("db_ready"))


@db.command("stop")
@click.pass_obj
@_fail_cleanly
def db_stop(settings: Settings) -> None:
    """停止私有 PostGIS（与 GRIDSVC_DATABASE_URL 无关）。Stop the private PostGIS."""
    from gridsvc.db.engine import local_cluster

    if settings.database_url:
        click.echo(say("db_not_ours"))
        return
    stopped = local_cluster(settings).stop()
    click.echo(say("db_stopped" if stopped else "db_not_running"))


@db.command("reset")
@click.option("--yes", is_flag=True, help="不再确认。Do not ask for confirmation.")
@click.pass_obj
@_fail_cleanly
def db_reset(settings: Settings, yes: bool) -> None:
    """删除 gridsvc 的全部表和数据，重新迁移。Delete everything and migrate afresh."""
    from gridsvc.db.engine import downgrade, upgrade

    if not yes:
        click.confirm("删除此数据库中 gridsvc 的全部数据？", abort=True)
    engine = _engine(settings)
    downgrade(engine, "base")
    upgrade(engine)
    click.echo(say("db_reset"))
