"""The report's facility part on the hand-drawn district with the facilities of
tests/analysis/test_facilities.py (a centre reaching 100 m in C2, a station reaching 50 m in C1): C2's
800 households reach the centre, C1's 105 do not; 70 of C1's reach the station, none of C2's."""

from __future__ import annotations

import datetime as dt

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.reports.content import build_report
from gridsvc.reports.document import Heading, Table, Text, blocks
from gridsvc.reports.reach import reach_part
from tests import coverage_scene as s
from tests.analysis.test_facilities import SHORT, scene

MADE = dt.datetime(2026, 11, 23, 9, 0)


def test_households_beyond_reach_per_level_and_per_community():
    report = build_report(compute_coverage(scene(), SHORT), s.DISTRICT, MADE, SHORT)
    part = reach_part(report)
    assert part.lines == [
        "社区党群服务中心（100米内）：800户可达，105户不可达（可达率88.4%）。",
        "网格党群服务站（50米内）：70户可达，835户不可达（可达率7.7%）。",
    ]
    assert report.levels[0].level == "street"  # one street: its row holds both communities' households
    assert part.rows == [["乙街道", "105", "835"]]
    community = build_report(compute_coverage(scene(), SHORT), s.STREET, MADE, SHORT)
    assert reach_part(community).rows == [["西社区", "0", "800"], ["东社区", "105", "35"]]


def test_the_report_shows_the_part_only_where_facilities_are_held(tmp_path):
    held = blocks(build_report(compute_coverage(scene(), SHORT), s.DISTRICT, MADE, SHORT), None, 10)
    texts = [b.text for b in held if isinstance(b, Heading | Text)]
    assert "服务设施可达情况" in texts
    headline = [b for b in held if isinstance(b, Table) and b.headers[0] == "指标"]
    assert any(row[0] == "网格党群服务站覆盖率（按户）" for t in headline for row in t.rows)
    bare = blocks(
        build_report(compute_coverage(scene(with_facilities=False), SHORT), s.DISTRICT, MADE, SHORT), None, 10
    )
    assert "服务设施可达情况" not in [b.text for b in bare if isinstance(b, Heading | Text)]
    headline = [b for b in bare if isinstance(b, Table) and b.headers[0] == "指标"]
    assert not any("党群服务" in row[0] for t in headline for row in t.rows)
