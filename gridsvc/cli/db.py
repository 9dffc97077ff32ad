"""``gridsvc db …``: the database gridsvc uses (the private PostGIS or GRIDSVC_DATABASE_URL)."""

from __future__ import annotations

import click

from gridsvc.cli.support import engine as _engine
from gridsvc.cli.support import fail_cleanly as _fail_cleanly
from gridsvc.services import imports
from gridsvc.settings import Settings


@click.group()
def db() -> None:
    """The database: status, start, stop, reset."""


@db.command("status")
@click.pass_obj
@_fail_cleanly
def db_status(settings: Settings) -> None:
    """Where the database is, whether it runs, its migration and row counts."""
    from gridsvc.db.engine import current_revision, local_cluster

    if settings.database_url:
        click.echo(f"database: {settings.database_url} (GRIDSVC_DATABASE_URL)")
    else:
        cluster = local_cluster(settings)
        state = "running" if cluster.running() else ("stopped" if cluster.initialized() else "not created")
        click.echo(f"database: private PostGIS under {cluster.home} ({state})")
        if state != "running":
            return
    engine = _engine(settings)
    click.echo(f"migration: {current_revision(engine)}")
    for table, count in imports.inventory(engine).items():
        click.echo(f"  {table:<18}{count:>9}")


@db.command("start")
@click.pass_obj
@_fail_cleanly
def db_start(settings: Settings) -> None:
    """Create (first time) and start the private PostGIS, and apply migrations."""
    _engine(settings)
    click.echo("database ready")


@db.command("stop")
@click.pass_obj
@_fail_cleanly
def db_stop(settings: Settings) -> None:
    """Stop the private PostGIS (nothing to do with GRIDSVC_DATABASE_URL)."""
    from gridsvc.db.engine import local_cluster

    if settings.database_url:
        click.echo("GRIDSVC_DATABASE_URL is set: that database is not gridsvc's to stop")
        return
    stopped = local_cluster(settings).stop()
    click.echo("stopped" if stopped else "not running")


@db.command("reset")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
@_fail_cleanly
def db_reset(settings: Settings, yes: bool) -> None:
    """Delete every gridsvc table and row, and migrate afresh."""
    from gridsvc.db.engine import downgrade, upgrade

    if not yes:
        click.confirm("Delete all gridsvc data in this database?", abort=True)
    engine = _engine(settings)
    downgrade(engine, "base")
    upgrade(engine)
    click.echo("database reset: empty and migrated")
