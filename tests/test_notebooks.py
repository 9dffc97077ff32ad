"""The notebooks run from top to bottom against the test database, so they cannot rot."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, db, settings, monkeypatch):
    monkeypatch.setenv("GRIDSVC_DATABASE_URL", settings.database_url)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute(env=dict(os.environ))
    outputs = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for o in cell.outputs
    )
    assert "Error" not in outputs
    if path.name == "01-coverage.ipynb":
        assert "generated data: True" in outputs and "no_grid_leader" in outputs


def test_there_is_a_coverage_notebook():
    assert any(p.name == "01-coverage.ipynb" for p in NOTEBOOKS)
