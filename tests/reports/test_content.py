"""Report content on the hand-drawn scene of tests/coverage_scene.py: who is responsible, what is
worst, what changed — each answer countable by eye from the drawing."""

from __future__ import annotations

import copy
import datetime as dt

import pandas as pd
import pytest

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.scene import Thresholds
from gridsvc.errors import InvalidInput
from gridsvc.reports.content import build_report, falls_short, flatten, gap_counts, worst_first
from gridsvc.reports.fonts import chinese_font
from tests import coverage_scene as s

MADE = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture(scope="module")
def cov():
    return compute_coverage(s.scene())


@pytest.fixture(scope="module")
def report(cov):
    return build_report(cov, s.DISTRICT, MADE, Thresholds())


def test_levels_below_the_area_hold_every_area_with_the_engines_figures(report, cov):
    assert [t.level for t in report.levels] == ["street", "community", "grid"]
    assert [r["code"] for r in report.level("community").rows] == [s.C1, s.C2]
    grids = report.level("grid").rows
    assert [r["code"] for r in grids] == [s.P1, s.P2, s.G1, s.G2, s.U1, s.U2]
    assert {r["code"]: r["layer"] for r in grids}[s.U1] == "unified"
    for row in grids:
        assert row["metrics"] == cov.metrics(row["code"])
    assert report.headline == cov.metrics(s.DISTRICT)
    assert report.generated is False and report.previous is None


def test_the_grid_leader_is_responsible_where_there_is_one_else_the_community(report):
    a = report.actions
    by = {(r.kind_code, r.object_id): r.responsible for r in a.itertuples()}
    assert by[("multiple_grid_leaders", s.G2)] == "网格长 王二、赵二"  # G2 has two active leaders
    assert by[("no_grid_leader", s.U1)] == "西社区（社区）"  # U1's leader ended in 2020, the next starts 2099
    assert by[("no_grid_branch", s.P2)] == "东社区（社区）"  # a Party grid has no grid leader
    assert by[("no_building_leader", "b2")] == "网格长 张一"  # b2 lies in G1
    assert by[("building_no_grid", "b5")] == "东社区（社区）"  # b5 lies in the governance gap: no grid at all
    assert by[("worker_overloaded", s.U2)] == "网格长 黄四"
    assert len(a) == len(report.map_layers["gaps"])
    assert a["severity"].iloc[0] == "高" and a["severity"].iloc[-1] == "低"  # most severe first


def test_staff_load_puts_grids_without_a_fulltime_worker_first_then_the_heaviest(report):
    load = report.staff_load
    assert load["grid"].tolist()[:2] == [s.G2, s.U1]  # no full-time worker (G2: none, U1: part-time only)
    heaviest = load.dropna(subset=["per_worker"]).iloc[0]
    assert heaviest["grid"] == s.U2 and heaviest["per_worker"] == 600 and heaviest["overloaded"]
    assert load.set_index("grid").loc[s.G1, "grid_leader"] == "张一"


def test_gap_counts_and_alignment_per_community(report, cov):
    counts = gap_counts(report, report.level("street")).set_index("code")
    assert counts.index.tolist() == [s.STREET]
    assert counts.loc[s.STREET, "total"] == len(cov.gaps)
    assert counts.loc[s.STREET, "high"] == (cov.gaps["severity"] == "high").sum()
    align = report.alignment.set_index("community")
    assert align.loc[s.C1, ["party", "governance", "unified"]].tolist() == [2, 2, 0]
    assert align.loc[s.C2, ["party", "governance", "unified"]].tolist() == [0, 0, 2]
    assert align.loc[s.C2, "alignment_rate"] == 1.0  # unified grids stand on both sides as themselves


def test_worst_first_and_what_falls_short(report):
    grids = report.level("grid").rows
    leaders = [r["code"] for r in worst_first(grids, "grid_leader_coverage")]
    assert leaders[:2] == [s.G2, s.U1]  # two leaders and none: 0 % each, then the grids with one
    assert set(leaders[-2:]) == {s.P1, s.P2}  # Party grids have no figure: last
    t = Thresholds()
    assert falls_short("grid_leader_coverage", 0.99, t) and not falls_short("grid_leader_coverage", 1.0, t)
    assert falls_short("households_per_fulltime_worker.max", 600, t)
    assert not falls_short("households_per_fulltime_worker.max", 500, t)
    assert not falls_short("grid_leader_coverage", None, t)


def test_changes_against_a_snapshot_list_only_what_moved(cov):
    tree = [copy.deepcopy(cov.tree(s.DISTRICT))]
    tree[0]["metrics"]["grid_leader_coverage"]["value"] = 0.75  # as if it had been better
    community = tree[0]["children"][0]["children"][1]  # C2
    community["metrics"]["building_leader_coverage"]["value"] = None
    previous = {"id": 7, "taken_at": MADE - dt.timedelta(days=30), "area": s.DISTRICT, "as_of": s.AS_OF, "tree": tree}
    made = build_report(cov, s.DISTRICT, MADE, Thresholds(), previous)
    assert set(flatten(tree)) >= {s.DISTRICT, s.STREET, s.C1, s.C2, s.G1, s.U2}
    changes = made.changes.set_index(["code", "key"])
    now = cov.metrics(s.DISTRICT)["grid_leader_coverage"]["value"]
    assert changes.loc[(s.DISTRICT, "grid_leader_coverage"), "before"] == 0.75
    assert changes.loc[(s.DISTRICT, "grid_leader_coverage"), "change"] == pytest.approx(now - 0.75)
    assert pd.isna(changes.loc[(s.C2, "building_leader_coverage"), "change"])  # nothing to compare with
    assert len(made.changes) == 2 and made.previous["id"] == 7 and "tree" not in made.previous


def test_a_grid_is_not_a_report_area_and_a_missing_font_is_named(cov):
    with pytest.raises(ValueError, match="is a grid"):
        build_report(cov, s.G1, MADE, Thresholds())
    with pytest.raises(InvalidInput, match="GRIDSVC_REPORT_FONT=/nowhere/font.ttf"):
        chinese_font("/nowhere/font.ttf")
