"""The command line through click's runner, on the hand-drawn scene: every topic is there, data goes
out and back unchanged, snapshots are taken and listed, and bad input is a clear message, never a
traceback. (Topic-specific commands are tested beside their topic: coverage, maps, plans, users.)"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gridsvc.cli import main
from gridsvc.services import imports
from tests import coverage_scene as s
from tests import scenes
from tests.conftest import fingerprint


@pytest.fixture
def env(db, settings, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "scene.gpkg", s.frames()))
    return {
        "GRIDSVC_DATABASE_URL": settings.database_url,
        "GRIDSVC_HOME": str(tmp_path / "home"),
        "GRIDSVC_MAPS_DIR": str(tmp_path / "maps"),
    }


def test_every_topic_is_a_command():
    shown = CliRunner().invoke(main, ["--help"]).output
    for command in (
        "db",
        "import",
        "export",
        "demo",
        "coverage",
        "gaps",
        "alignment",
        "map",
        "report",
        "snapshot",
        "plan",
        "history",
        "user",
        "audit",
        "serve",
    ):
        assert f"  {command} " in shown, command


def test_export_and_import_again_changes_nothing(env, db, tmp_path):
    before = fingerprint(db)
    out = tmp_path / "all.gpkg"
    exported = CliRunner().invoke(main, ["export", str(out)], env=env)
    assert exported.exit_code == 0 and out.exists(), exported.output
    again = CliRunner().invoke(main, ["import", str(out)], env=env)
    assert again.exit_code == 0, again.output
    assert {k: v for k, v in fingerprint(db).items() if k not in ("audit_log", "imports")} == {
        k: v for k, v in before.items() if k not in ("audit_log", "imports")
    }


def test_snapshots_are_taken_and_listed(env):
    taken = CliRunner().invoke(main, ["snapshot", "--area", s.C1, "--note", "月初"], env=env)
    assert taken.exit_code == 0, taken.output
    listed = CliRunner().invoke(main, ["snapshot", "--list"], env=env).output
    assert s.C1 in listed and "月初" in listed


@pytest.mark.parametrize(
    "args, says",
    [
        (["import", "no-such-file.gpkg"], "no such file"),
        (["import", "notes.txt"], "unknown file kind"),
        (["coverage", "--area", "12345"], "12345"),
        (["map", "grid", "999999999999999"], "999999999999999"),
        (["report", "--area", s.C1, "-o", "report.doc"], "report.doc"),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(env, tmp_path, args, says, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output
