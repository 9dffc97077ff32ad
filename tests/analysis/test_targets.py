"""Targets (domain.md §8.5) on the hand-drawn district of tests/coverage_scene.py, statistics date
2026-11-23. Today's figures, read off the drawing: C1 has one of its two governance grids with exactly
one leader (G2 has two), so its grid-leader rate is 50%; C2's two grids both have a worker (100%); the
district has building leaders in 5 of 7 residential buildings (71.4%); C2's busiest full-time worker
serves U2's 600 households.

  C1  grid_leader_coverage       95%  by 2026-06-30  -> 50%: missed, 146 days ago, short by 45 points
  C2  grid_worker_coverage      100%  by 2027-06-30  -> met
  district building_leader_cov.  90%  by 2027-01-31  -> 71.4%: open, 69 days left
  C2  households_per_fulltime_worker  500 by 2026-10-01 -> 600: missed, 100 households over
  district grid_leader_coverage  80%  by 2026-01-01  -> 50%: missed (a district's gap, not C1's)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from gridsvc.analysis.coverage import compute_coverage
from tests import coverage_scene as s

d = dt.date
TARGETS = pd.DataFrame(
    [
        (s.C1, "grid_leader_coverage", 0.95, d(2026, 6, 30), None),
        (s.C2, "grid_worker_coverage", 1.0, d(2027, 6, 30), None),
        (s.DISTRICT, "building_leader_coverage", 0.9, d(2027, 1, 31), "年度考核"),
        (s.C2, "households_per_fulltime_worker", 500, d(2026, 10, 1), None),
        (s.DISTRICT, "grid_leader_coverage", 0.8, d(2026, 1, 1), None),
    ],
    columns=["area_code", "metric", "value", "due_date", "note"],
)


@pytest.fixture(scope="module")
def cov():
    scene = s.scene()
    scene.targets = TARGETS
    return compute_coverage(scene)


def test_each_target_beside_its_figure(cov):
    t = cov.targets().set_index(["area", "metric"])
    c1 = t.loc[(s.C1, "grid_leader_coverage")]
    assert (c1["current"], c1["short"], c1["days_left"], c1["status"]) == (0.5, pytest.approx(0.45), -146, "missed")
    assert t.loc[(s.C2, "grid_worker_coverage"), "status"] == "met"
    assert t.loc[(s.C2, "grid_worker_coverage"), "short"] == 0
    district = t.loc[(s.DISTRICT, "building_leader_coverage")]
    assert (district["days_left"], district["status"]) == (69, "open")
    assert district["short"] == pytest.approx(0.9 - 5 / 7, abs=1e-6)
    workers = t.loc[(s.C2, "households_per_fulltime_worker")]
    assert (workers["current"], workers["short"], workers["status"]) == (600, 100, "missed")  # lower is better


def test_a_target_missed_after_its_due_date_is_a_gap_of_its_area(cov):
    gaps = cov.gap_list(kind="target_missed")
    assert set(gaps["object_id"]) == {
        f"{s.DISTRICT}:grid_leader_coverage:2026-01-01",
        f"{s.C1}:grid_leader_coverage:2026-06-30",
        f"{s.C2}:households_per_fulltime_worker:2026-10-01",
    }
    c1 = cov.gap_list(s.C1, kind="target_missed")
    assert list(c1["message"]) == ["东社区网格长配备率目标95.0%（2026-06-30前），现为50.0%，逾期146天未达标。"]
    assert len(cov.gap_list(s.DISTRICT, kind="target_missed")) == 3  # the district's own and its communities'
    assert set(cov.gap_list(kind="target_missed")["severity"]) == {"medium"}


def test_an_open_or_met_target_is_no_gap_and_a_target_before_its_due_date_is_not_missed():
    scene = s.scene()
    scene.targets = TARGETS.assign(due_date=d(2027, 12, 31))
    cov = compute_coverage(scene)
    assert cov.gap_list(kind="target_missed").empty
    assert set(cov.targets()["status"]) == {"open", "met"}
