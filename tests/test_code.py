"""The code itself: every doctest in the package passes, and ruff finds nothing in the package, tests,
benchmarks and notebooks (CI runs both)."""

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
    return sorted(m.name for m in pkgutil.walk_packages(gridsvc.__path__, "gridsvc.") if not m.name.startswith(SKIP))


@pytest.mark.parametrize("name", _modules())
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctests failed in {name}"


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_finds_nothing(command):
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    found = subprocess.run(
        [ruff, *command, "gridsvc", "tests", "benchmarks", "notebooks"], cwd=ROOT, capture_output=True, text=True
    )
    assert found.returncode == 0, found.stdout[-3000:]


def _statements(function) -> int:
    """Lines of logic: the statements a function holds (one however the formatter wraps it), its
    docstring not counted."""
    import ast

    body = function.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return sum(1 for top in body for node in ast.walk(top) if isinstance(node, ast.stmt))


def test_no_module_over_400_lines_and_no_function_over_40_lines_of_logic():
    """The sizes issue 15 set: a module a newcomer can read, a function that does one thing."""
    import ast

    too_long = []
    for path in sorted((ROOT / "gridsvc").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > 400:
            too_long.append(f"{path.relative_to(ROOT)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _statements(node) > 40:
                too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {_statements(node)} statements")
    assert too_long == []


def test_analysis_imports_nothing_else_of_gridsvc():
    """The pure core stays pure: api/cli -> services -> repository/analysis/rendering/reports."""
    found = []
    for path in sorted((ROOT / "gridsvc" / "analysis").rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if (
                words[:1] in (["from"], ["import"])
                and len(words) > 1
                and words[1].startswith("gridsvc")
                and not words[1].startswith("gridsvc.analysis")
            ):
                found.append(f"{path.name}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize(
    "layer, forbidden",
    [
        ("repository", ("gridsvc.services", "gridsvc.cli", "gridsvc.api")),
        ("ingest", ("gridsvc.services", "gridsvc.cli", "gridsvc.api")),
        ("rendering", ("gridsvc.services", "gridsvc.cli", "gridsvc.api", "gridsvc.repository")),
        ("reports", ("gridsvc.services", "gridsvc.cli", "gridsvc.api", "gridsvc.repository")),
        ("db", ("gridsvc.services", "gridsvc.cli", "gridsvc.api")),
        ("services", ("gridsvc.cli", "gridsvc.api")),
    ],
)
def test_imports_flow_one_way(layer, forbidden):
    found = [
        f"{path.name}: {line.strip()}"
        for path in sorted((ROOT / "gridsvc" / layer).rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith(("from gridsvc", "import gridsvc")) and line.split()[1].startswith(forbidden)
    ]
    assert found == []


def test_the_governance_layer_has_one_name_users_read():
    """The layer is 治理网格 (labels.LAYER_LABEL) on every page, table and message: the plan scores
    once headed a column 离开综治网格户数 above rows saying 离开原治理网格的户数."""
    other = "综治"  # domain.md's other name for the layer
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "gridsvc").rglob("*"))
        if path.suffix in (".py", ".json", ".js", ".css", ".html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if other in line
    ]
    assert found == []
