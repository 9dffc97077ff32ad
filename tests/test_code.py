"""The code itself: every doctest in the package passes, and ruff finds nothing (CI runs both)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gridsvc

ROOT = Path(__file__).resolve().parents[1]
SKIP = ("gridsvc.db.migrations", "gridsvc.cli.__main__")  # run on import: Alembic's env, the command line


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(gridsvc.__path__, "gridsvc.")
                  if not m.name.startswith(SKIP))


@pytest.mark.parametrize("name", _modules())
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctests failed in {name}"


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    found = subprocess.run([ruff, "check", "gridsvc", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 0, found.stdout[-3000:]
