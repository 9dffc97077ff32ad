"""The SQL forms of rules that analysis/ defines in Python, written once here (and held equal to
the Python by tests/repository/test_predicates.py on the hand-drawn scene).

- Building-to-grid assignment (domain.md rule 5, ``analysis.assignment``): a building belongs to
  the first current grid (lowest code) of a side whose polygon holds its representative point.
  In SQL it is the function ``gridsvc_in_grid(point, code)`` (migration 0006), which row-level
  security uses as well.
- Active assignment (domain.md §5, ``analysis.scene.Scene.active_assignments``): started on or
  before the day (or no start) and not ended by it (no end, or an end after it).
- A grid closed for good (``closed_for_good``): closed, and no live grid has its code. It has no
  Python form: the import's reference check and the scene's ``left_on_closed_grid`` both ask SQL.
"""

from __future__ import annotations


def in_grid(point: str, grid: str) -> str:
    """SQL: whether the representative point ``point`` is assigned to grid ``grid`` (SQL expressions)."""
    return f"gridsvc_in_grid({point}, {grid})"


def active_on(assignment: str, day: str) -> str:
    """SQL: whether the assignment aliased ``assignment`` is active on ``day`` (a SQL date expression)."""
    return (
        f"(({assignment}.start_date IS NULL OR {assignment}.start_date <= {day}) "
        f"AND ({assignment}.end_date IS NULL OR {assignment}.end_date > {day}))"
    )


def closed_for_good(grid: str) -> str:
    """SQL: whether the grid row aliased ``grid`` was closed and no live grid has its code (a plan
    closed it and left it undecided, or closed it for good): what a reference to it, or a branch or
    worker still on it, is told."""
    return (
        f"({grid}.valid_to IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM grids live WHERE live.code = {grid}.code AND live.valid_to IS NULL))"
    )
