"""Co-building (共驻共建, domain.md §8.1) on the hand-drawn district (tests/coverage_scene.py, as of
2026-11-23), changed so:

  resident units   o1 (C1) public unit; o3, o7 (C2) public units; o5 (C2) an enterprise flagged resident
  agreements       a1 C1–o1 from 2025-01-01, open-ended: in force
                   a3 street–o3 2024-01-01 to 2025-12-31: ended
                   a7 C2–o7 from 2027-01-01: not yet begun
                   a5 C2–o5 2026-01-01 to 2026-11-23: in force on its last day
  list items       n1 C1 need, open since 2026-08-24 (91 days), at b1      -> need_unmet (C1)
                   n2 C1 need, open since 2026-08-25 (90 days)             -> not yet
                   n3 C2 need, matched, since 2025-01-01                    -> met
                   n4 street need, open since 2026-01-01, a point in C2     -> need_unmet (C2)
                   n5 C2 need, open, no date                                -> cannot be judged
                   r1 C1 resource, open since 2020                          -> not a need
  seats            C1: o1 holds one; C2 (3 resident units): none            -> no_unit_seat (C2)

So cobuilding_rate is 2/4 in the district (C1 1/1, C2 1/3).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest

from gridsvc.analysis.cobuilding import active_agreements
from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.scene import COBUILDING_ITEM_FIELDS
from tests import coverage_scene as s

d = dt.date
AGREEMENTS = pd.DataFrame(
    [
        ("a1", s.C1, "o1", d(2025, 1, 1), None),
        ("a3", s.STREET, "o3", d(2024, 1, 1), d(2025, 12, 31)),
        ("a7", s.C2, "o7", d(2027, 1, 1), None),
        ("a5", s.C2, "o5", d(2026, 1, 1), d(2026, 11, 23)),
    ],
    columns=["id", "area_code", "organization_id", "valid_from", "valid_to"],
)
ITEMS = [
    ("n1", s.C1, "need", "助老", "独居老人送餐", "open", d(2026, 8, 24), None, "b1", None),
    ("n2", s.C1, "need", None, "楼道照明", "open", d(2026, 8, 25), None, None, None),
    ("n3", s.C2, "need", None, "儿童托管", "matched", d(2025, 1, 1), None, None, None),
    ("n4", s.STREET, "need", "就业", "就业培训", "open", d(2026, 1, 1), None, None, s.pt(300, 50)),
    ("n5", s.C2, "need", None, "加装电梯", "open", None, None, None, None),
    ("r1", s.C1, "resource", "场地", "会议室", "open", d(2020, 1, 1), "o1", None, None),
]
SEATS = pd.DataFrame([(s.C1, "o1", "张三")], columns=["community_code", "organization_id", "holder"])


def _items() -> gpd.GeoDataFrame:
    frame = pd.DataFrame([row[:-1] for row in ITEMS], columns=list(COBUILDING_ITEM_FIELDS))
    points = gpd.GeoSeries([row[-1] for row in ITEMS], crs=s.METRIC).to_crs(4490)
    return gpd.GeoDataFrame(frame, geometry=points.values)


def _scene(agreements=AGREEMENTS, seats=SEATS):
    layers = s.frames()
    o = layers["organizations"]
    kinds = {"o1": "public_unit", "o7": "public_unit", "o3": "public_unit"}
    layers["organizations"] = o.assign(kind=o["id"].map(kinds).fillna(o["kind"]), resident_unit=o["id"] == "o5")
    scene = s.scene(layers)
    scene.agreements, scene.cobuilding_data = agreements, len(agreements) > 0
    scene.items = _items()
    scene.seats, scene.seat_data = seats, len(seats) > 0
    return scene


@pytest.fixture(scope="module")
def cov():
    return compute_coverage(_scene())


def test_agreements_in_force_on_a_day():
    assert active_agreements(AGREEMENTS, s.AS_OF) == {"o1", "o5"}
    assert active_agreements(AGREEMENTS, d(2027, 1, 1)) == {"o1", "o7"}
    assert active_agreements(AGREEMENTS, d(2025, 6, 1)) == {"o1", "o3"}


@pytest.mark.parametrize(
    ("code", "numerator", "denominator"), [(s.DISTRICT, 2, 4), (s.C1, 1, 1), (s.C2, 1, 3), (s.U1, 0, 1), (s.U2, 1, 2)]
)
def test_cobuilding_rate(cov, code, numerator, denominator):
    figure = cov.metrics(code)["cobuilding_rate"]
    assert (figure["numerator"], figure["denominator"]) == (numerator, denominator)


def test_needs_open_more_than_90_days_are_unmet(cov):
    unmet = cov.gap_list(kind="need_unmet").sort_values("object_id")
    assert list(unmet["object_id"]) == ["n1", "n4"]
    assert list(unmet["community"]) == [s.C1, s.C2]  # n4 is the street's, but its point lies in C2
    assert unmet.iloc[0]["message"] == "东社区的需求（助老）“独居老人送餐”于2026-08-24提出，已91天仍未认领，超过90天。"
    assert unmet.iloc[1]["message"].startswith("乙街道的需求（就业）“就业培训”于2026-01-01提出，已326天")
    b1 = s.scene().buildings.set_index("id").loc["b1", "rep_point"]
    assert unmet.iloc[0]["geometry"].distance(b1) < 1e-9  # placed at its building


def test_a_community_with_resident_units_but_no_unit_seat(cov):
    seatless = cov.gap_list(kind="no_unit_seat")
    assert list(seatless["object_id"]) == [s.C2]
    assert seatless.iloc[0]["message"] == "西社区有驻区单位3家，社区党组织没有驻区单位党组织负责人担任兼职委员。"
    assert seatless.iloc[0]["severity"] == "low"


def test_without_agreements_or_seats_held_nothing_is_judged():
    cov = compute_coverage(_scene(AGREEMENTS.iloc[:0], SEATS.iloc[:0]))
    assert cov.metrics(s.DISTRICT)["cobuilding_rate"]["value"] is None
    assert cov.gap_list(kind="no_unit_seat").empty
    assert len(cov.gap_list(kind="need_unmet")) == 2  # needs are judged wherever they are held
