"""The SQL forms of rules that analysis/ defines in Python, written once here (and held equal to
the Python by tests/repository/test_predicates.py on the hand-drawn scene).

- Building-to-grid assignment (domain.md rule 5, ``analysis.assignment``): a building belongs to
  the first current grid (lowest code) of a side whose polygon holds its representative point.
  In SQL it is the function ``gridsvc_in_grid(point, code)`` (migration 0006), which row-level
  security uses as well.
- Active assignment (domain.md §5, ``analysis.scene.Scene.active_assignments``): started on or
  before the day (or no start) and not ended by it (no end, or an end after it).
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
