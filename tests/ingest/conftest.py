"""What the import tests share: the environment the ``gridsvc`` command runs in, and a runner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gridsvc.cli import main


@pytest.fixture
def env(db, settings, tmp_path):
    return {"GRIDSVC_DATABASE_URL": settings.database_url, "GRIDSVC_HOME": str(tmp_path / "home")}


@pytest.fixture
def gridsvc(env):
    """Run ``gridsvc ARGS…`` as a user would; the result has ``exit_code`` and ``output``."""

    def run(*args):
        return CliRunner().invoke(main, [str(a) for a in args], env=env)

    return run
