"""Test fixtures: a real PostGIS (GRIDSVC_TEST_DATABASE_URL, or a private cluster made for the run).

No test may be skipped: a skipped test fails the run, so a missing database can never pass as green.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from gridsvc.db.cluster import LocalCluster
from gridsvc.db.engine import _ensure_local_database, make_engine
from gridsvc.settings import Settings

OSM_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm" / "nanjing-xinjiekou.osm"
TABLES = [
    "audit_log",
    "login_failures",
    "tokens",
    "users",
    "snapshots",
    "plan_grids",
    "plans",
    "targets",
    "unit_registrations",
    "cobuilding_agreements",
    "cobuilding_items",
    "unit_seats",
    "assignments",
    "staff",
    "party_org_scopes",
    "party_orgs",
    "organizations",
    "grids",
    "buildings",
    "areas",
    "roads",
    "facilities",
    "imports",
]

_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.write_line(
            f"FAILED: {len(_skipped)} test(s) were skipped; gridsvc's suite allows no skips: "
            + ", ".join(_skipped[:5]),
            red=True,
        )


@pytest.fixture(scope="session")
def database_url():
    url = os.environ.get("GRIDSVC_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with private_cluster("gridsvc-test-") as cluster:
        yield cluster.url


@contextmanager
def private_cluster(prefix: str) -> Iterator[LocalCluster]:
    """A throw-away PostGIS cluster with the gridsvc database, removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    cluster = LocalCluster(home=home)
    try:
        cluster.ensure_started()
        _ensure_local_database(cluster)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    return Settings(database_url=database_url, home=tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def engine(settings):
    engine = make_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine):
    """An empty, migrated database for each test."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    return engine


@pytest.fixture(scope="session")
def osm_file() -> Path:
    assert OSM_FILE.exists(), f"the shared OSM extract is missing at {OSM_FILE}"
    return OSM_FILE


def fingerprint(engine) -> dict[str, str]:
    """Every row of every table, hashed: equal fingerprints mean nothing changed."""
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            out[table] = conn.scalar(
                text(
                    f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                    f"FROM {table} t"
                )
            )
    return out
