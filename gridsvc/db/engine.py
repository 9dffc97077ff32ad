"""Engine and sessions: picks the configured database or the private local cluster, and migrates it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gridsvc.db.cluster import DB_NAME, LocalCluster
from gridsvc.errors import DatabaseUnavailable
from gridsvc.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def local_cluster(settings: Settings) -> LocalCluster:
    return LocalCluster(home=settings.home, run_as=settings.cluster_user)


def database_url(settings: Settings, *, start: bool = True) -> str:
    """The URL to use: ``GRIDSVC_DATABASE_URL``, else the private cluster (started if ``start``)."""
    if settings.database_url:
        url = settings.database_url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    cluster = local_cluster(settings)
    if start:
        cluster.ensure_started()
        _ensure_local_database(cluster)
    return cluster.url


def _ensure_local_database(cluster: LocalCluster) -> None:
    engine = create_engine(cluster.maintenance_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    finally:
        engine.dispose()


def make_engine(settings: Settings, *, migrate: bool = True) -> Engine:
    """An engine on a ready database: reachable, with PostGIS, migrated to the newest revision."""
    # one connection per request at most (the API admits no more requests than this), waiting is bounded
    engine = create_engine(database_url(settings), pool_pre_ping=True, pool_size=settings.db_pool_size,
                           max_overflow=settings.db_max_overflow, pool_timeout=settings.db_pool_timeout)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot reach the database: {exc.orig}") from None
    except Exception as exc:  # PostGIS missing shows up as a feature-not-supported error
        if "postgis" in str(exc).lower():
            raise DatabaseUnavailable(
                "PostGIS is not installed for this PostgreSQL "
                "(Debian: apt-get install -y postgresql-15-postgis-3)"
            ) from None
        raise
    if migrate:
        upgrade(engine)
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def current_revision(engine: Engine | Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    if isinstance(engine, Connection):
        return MigrationContext.configure(engine).get_current_revision()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One all-or-nothing unit of work: commit on success, roll back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session
