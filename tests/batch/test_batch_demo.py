"""``gridsvc batch coverage`` on the demo district: the tree in parts (by district, by street) is
the tree of ``gridsvc coverage``, and the command shows its progress. (Its own module: it replaces the
stored data that tests/batch/test_batch_coverage.py keeps for its module.)"""

from __future__ import annotations

from click.testing import CliRunner

from gridsvc.cli import main
from gridsvc.services import imports
from tests.batch.conftest import _fresh, _json


def test_the_demo_district_in_parts_is_the_whole(engine, env):
    _fresh(engine)
    imports.build_demo(engine, 20240501)
    whole = _json(env, "coverage")
    assert _json(env, "batch", "coverage", "--local-workers", "2") == whole
    assert _json(env, "batch", "coverage", "--local-workers", "2", "--by", "street") == whole
    shown = CliRunner().invoke(main, ["batch", "coverage", "--local-workers", "1", "--by", "street"], env=env)
    assert shown.exit_code == 0 and "网格党支部覆盖率" in shown.stdout
    assert "[3/3]" in shown.stderr  # progress, one line per part, on stderr
