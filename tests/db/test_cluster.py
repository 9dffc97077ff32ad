"""The private PostGIS: created on first use, two homes are two databases, db commands work."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from gridsvc.cli import main
from gridsvc.db.engine import make_engine
from gridsvc.settings import Settings
from tests import scenes


def test_two_homes_are_two_databases(tmp_path):
    homes = [Path(tempfile.mkdtemp(prefix="gridsvc-home-")) for _ in range(2)]
    runner = CliRunner()
    try:
        envs = [{"GRIDSVC_HOME": str(h), "GRIDSVC_DATABASE_URL": ""} for h in homes]
        path = scenes.write(tmp_path / "small.gpkg")
        first = runner.invoke(main, ["import", str(path)], env=envs[0])
        assert first.exit_code == 0, first.output
        assert (homes[0] / "pgdata" / "PG_VERSION").exists()
        status = runner.invoke(main, ["db", "status"], env=envs[1])
        assert "未创建" in status.output
        runner.invoke(main, ["db", "start"], env=envs[1])
        counts = []
        for home in homes:
            engine = make_engine(Settings(home=home, database_url=None))
            with engine.connect() as conn:
                counts.append(conn.scalar(text("SELECT count(*) FROM buildings")))
            engine.dispose()
        assert counts == [6, 0]
        status = runner.invoke(main, ["db", "status"], env=envs[0])
        assert "运行中" in status.output and "buildings" in status.output
        stop = runner.invoke(main, ["db", "stop"], env=envs[0])
        assert stop.output.strip() == "已停止"
        status = runner.invoke(main, ["db", "status"], env=envs[0])
        assert "（已停止）" in status.output
        # the data outlives a stop; the next command starts the database again
        again = runner.invoke(main, ["import", str(path)], env=envs[0])
        assert "没有变化" in again.output
        reset = runner.invoke(main, ["db", "reset", "--yes"], env=envs[0])
        assert reset.exit_code == 0
        engine = make_engine(Settings(home=homes[0], database_url=None))
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM buildings")) == 0
        engine.dispose()
    finally:
        for home in homes:
            runner.invoke(main, ["db", "stop"], env={"GRIDSVC_HOME": str(home), "GRIDSVC_DATABASE_URL": ""})
            shutil.rmtree(home, ignore_errors=True)
