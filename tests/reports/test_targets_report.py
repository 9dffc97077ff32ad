"""Targets and the assessment in the report (domain.md §8.5), on the hand-drawn district with the
targets of tests/analysis/test_targets.py: the report lists each target with its figure, how far short,
its due date and the days left; the Excel has a 目标 sheet; the ranking (考核) follows configured
weights and prints them.

With weights 1 : 1 on the grid-leader and grid-worker rates, C1 scores (50% + 50%) / 2 = 50.0 and C2
(50% + 100%) / 2 = 75.0: C1 ranks first (lowest first)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.scene import Thresholds
from gridsvc.errors import InvalidInput
from gridsvc.reports import bulletin
from gridsvc.reports.content import build_report
from gridsvc.reports.document import Heading, Table, blocks
from gridsvc.reports.xlsx import xlsx_bytes
from tests import coverage_scene as s
from tests.analysis.test_targets import TARGETS

MADE = dt.datetime(2026, 11, 23, 9, 0)
EVEN = {"grid_leader_coverage": 1, "grid_worker_coverage": 1}


def report(area=s.STREET, weights=None):
    scene = s.scene()
    scene.targets = TARGETS
    cov = compute_coverage(scene)
    made = build_report(cov, area, MADE, Thresholds())
    bulletin.complete(made, cov, [], {}, weights)
    return made


def test_the_report_shows_each_target_in_its_area():
    shown = blocks(report(s.DISTRICT), None, 10)
    at = next(i for i, b in enumerate(shown) if isinstance(b, Heading) and b.text == "目标完成情况")
    table = shown[at + 1]
    assert isinstance(table, Table) and table.headers[:4] == ["地区", "指标", "目标", "当前"]
    rows = {(r[0], r[1]): r for r in table.rows}
    assert rows[("东社区", "网格长配备率")] == [
        "东社区", "网格长配备率", "95.0%", "50.0%", "45.0%", "2026-06-30", "逾期146天", "逾期未达标",
    ]  # fmt: skip
    assert rows[("测试二区", "楼栋长覆盖率")][2:] == ["90.0%", "71.4%", "18.6%", "2027-01-31", "剩69天", "未达标"]
    assert rows[("西社区", "网格员配备率")][4] == "0" and rows[("西社区", "网格员配备率")][7] == "已达标"
    assert rows[("西社区", "每名专职网格员服务户数")][2:5] == ["500", "600", "100"]
    community = blocks(report(s.C1), None, 10)  # a community's report holds its own targets only
    table = community[next(i for i, b in enumerate(community) if getattr(b, "text", "") == "目标完成情况") + 1]
    assert [r[0] for r in table.rows] == ["东社区"]


def test_the_excel_has_a_targets_sheet_and_the_weights_under_the_ranking():
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(report(weights=EVEN))))
    targets = [[c.value for c in row] for row in book["目标"].iter_rows(min_row=2)]
    c1 = next(r for r in targets if r[0] == s.C1)
    assert c1[3:10] == ["grid_leader_coverage", 0.95, 0.5, pytest.approx(0.45), "2026-06-30", -146, "逾期未达标"]
    ranking = [[c.value for c in row] for row in book["综合排名"].iter_rows(min_row=1)]
    assert [r[:4] for r in ranking[1:3]] == [[1, s.C1, "东社区", 50.0], [2, s.C2, "西社区", 75.0]]
    note = next(r[0] for r in ranking[3:] if r[0])
    assert "网格长配备率50%，网格员配备率50%" in note and "GRIDSVC_ASSESSMENT_WEIGHTS" in note


def test_default_weights_when_none_are_configured_and_bad_ones_are_named():
    assert report().bulletin.weights == bulletin.WEIGHTS
    with pytest.raises(InvalidInput, match="'org_count' 不是比率指标"):
        bulletin.check_weights({"org_count": 1})
    with pytest.raises(InvalidInput, match="的权重应是 ≥ 0 的数"):
        bulletin.check_weights({"grid_leader_coverage": -1})
    with pytest.raises(InvalidInput, match="至少一项权重"):
        bulletin.check_weights({"grid_leader_coverage": 0})
