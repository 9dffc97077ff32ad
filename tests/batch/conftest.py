"""What the batch tests share: an empty database, the CLI's environment, a command's JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from gridsvc.cli import main
from tests.conftest import TABLES


def _fresh(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def env(settings, tmp_path):
    return {"GRIDSVC_DATABASE_URL": settings.database_url, "GRIDSVC_HOME": str(tmp_path / "home")}


def _json(env, *args) -> list | dict:
    done = CliRunner().invoke(main, [*args, "--format", "json"], env=env)
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)
