"""Every metric and gap kind of domain.md §4–5 on the hand-drawn scene of tests/coverage_scene.py."""

from __future__ import annotations

import pandas as pd
import pytest

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.topology import bad_codes
from tests import coverage_scene as s


@pytest.fixture(scope="module")
def cov():
    return compute_coverage(s.scene())


def fig(cov, code, key):
    m = cov.metrics(code)[key]
    return m["numerator"], m["denominator"], m["value"]


def test_building_assignment_per_side(cov):
    b = cov.units.buildings.set_index("id")
    assert b.loc[["b1", "b2", "b4"], "party_grid"].tolist() == [s.P1, s.P1, s.P2]  # b4's point is in P2
    assert b.loc[["b1", "b2", "b4", "b3"], "governance_grid"].tolist() == [s.G1, s.G1, s.G1, s.G2]
    assert b.loc["b5", "party_grid"] == s.P2 and b.loc["b5", "governance_unassigned"]  # a point in the gap
    assert b.loc[["b7", "b8"], "party_grid"].tolist() == [s.U1, s.U2]  # unified grids on both sides
    assert b.loc[["b7", "b8"], "governance_grid"].tolist() == [s.U1, s.U2]
    assert b["party_split"].tolist() == [False, False, False, True, False, False, False, False]
    assert not b["governance_split"].any()


def test_organization_coverage_metrics(cov):
    assert fig(cov, s.DISTRICT, "grid_branch_coverage")[:2] == (3, 4)  # P2 has none; U1's two still cover it
    assert fig(cov, s.DISTRICT, "building_group_coverage")[:2] == (3, 4)  # b1 group, b5 branch, b7 joint; b2 not
    assert fig(cov, s.DISTRICT, "member_coverage")[:2] == (17, 25)  # 4+3+10 of 4+5+1+0+3+10+2; office excluded
    assert fig(cov, s.DISTRICT, "org_should_build_rate")[:2] == (1, 3)  # o1 of o1, o2, o7
    assert fig(cov, s.DISTRICT, "org_own_rate")[:2] == (1, 7)
    assert fig(cov, s.DISTRICT, "org_coverage")[:2] == (3, 7)  # o1 own, o2 and o3 joint


def test_work_coverage_metrics(cov):
    assert fig(cov, s.DISTRICT, "org_work_coverage")[:2] == (5, 7)  # + o4 union, o5 liaison; o7's ended
    assert fig(cov, s.DISTRICT, "grid_leader_coverage")[:2] == (2, 4)  # G1, U2; G2 has two, U1 none active
    assert fig(cov, s.DISTRICT, "grid_worker_coverage")[:2] == (3, 4)  # G2 has none; U1's part-timer counts
    assert fig(cov, s.DISTRICT, "building_leader_coverage")[:2] == (5, 7)  # b2's ended, b5 never had one


def test_households_per_fulltime_worker(cov):
    assert fig(cov, s.G1, "households_per_fulltime_worker") == (80, 1, 80.0)  # b1+b2+b4
    assert fig(cov, s.U1, "households_per_fulltime_worker") == (200, 0, None)  # only a part-timer
    assert fig(cov, s.U2, "households_per_fulltime_worker") == (600, 1, 600.0)
    metrics = cov.metrics(s.DISTRICT)
    assert metrics["households_per_fulltime_worker.max"]["value"] == 600
    assert metrics["households_per_fulltime_worker.median"]["value"] == 340  # of 80 and 600


def test_spatial_metrics(cov):
    c1, c2 = cov.metrics(s.C1), cov.metrics(s.C2)
    assert c1["gap_area_m2.governance"]["value"] == pytest.approx(1000, abs=1)  # 10 m × 100 m
    assert c1["gap_area_m2.party"]["value"] == 0
    assert c2["overlap_area_m2.party"]["value"] == pytest.approx(500, abs=1)  # unified: on both sides
    assert c2["overlap_area_m2.governance"]["value"] == pytest.approx(500, abs=1)
    assert c1["buildings_unassigned.governance"]["value"] == 1 and c1["buildings_unassigned.party"]["value"] == 0
    assert c1["buildings_split.party"]["value"] == 1 and c1["buildings_split.governance"]["value"] == 0


def test_roll_up_sums_numerators_not_rates(cov):
    # communities: 2/3 and 1/1 -> the district is 3/4 = 0.75, not the mean of rates 0.833
    assert fig(cov, s.C1, "building_group_coverage") == (2, 3, pytest.approx(2 / 3, abs=1e-6))
    assert fig(cov, s.C2, "building_group_coverage") == (1, 1, 1.0)
    assert fig(cov, s.STREET, "building_group_coverage") == (3, 4, 0.75)
    assert fig(cov, s.DISTRICT, "building_group_coverage") == (3, 4, 0.75)
    assert cov.metrics(s.DISTRICT)["gap_area_m2.governance"]["value"] == pytest.approx(1000, abs=1)


def test_zero_denominator_is_null(cov):
    assert fig(cov, s.U2, "building_group_coverage") == (0, 0, None)  # nobody eligible in U2
    assert fig(cov, s.P2, "org_should_build_rate") == (0, 0, None)


def test_grid_nodes_carry_their_sides_metrics(cov):
    party, governance, unified = (set(cov.metrics(c)) for c in (s.P1, s.G1, s.U1))
    assert "grid_branch_coverage" in party and "grid_leader_coverage" not in party
    assert "grid_leader_coverage" in governance and "grid_branch_coverage" not in governance
    assert {"grid_branch_coverage", "grid_leader_coverage"} <= unified


def test_tree_shape(cov):
    tree = cov.tree(s.DISTRICT)
    assert tree["area"] == {"code": s.DISTRICT, "level": "district", "name": "测试二区"}
    street = tree["children"][0]
    assert street["area"]["level"] == "street" and [c["area"]["code"] for c in street["children"]] == [s.C1, s.C2]
    grids = street["children"][0]["children"]
    assert [g["area"]["code"] for g in grids] == [s.P1, s.P2, s.G1, s.G2]
    assert grids[0]["area"]["layer"] == "party" and grids[0]["children"] == []
    assert set(tree["metrics"]["org_coverage"]) == {"value", "numerator", "denominator"}
    assert cov.tree() == [tree]


EXPECTED_GAPS = {
    ("building_no_grid", "b5"),
    ("grid_gap_area", s.C1),
    ("grid_overlap", s.U1),
    ("grid_outside_community", s.U2),
    ("split_building", "b4"),
    ("no_grid_branch", s.P2),
    ("multiple_grid_branches", s.U1),
    ("building_group_missing", "b2"),
    ("org_should_build", "o2"),
    ("org_should_build", "o7"),
    ("org_no_work_coverage", "o6"),
    ("org_no_work_coverage", "o7"),
    ("no_grid_leader", s.U1),
    ("multiple_grid_leaders", s.G2),
    ("no_grid_worker", s.G2),
    ("no_fulltime_worker", s.U1),
    ("worker_overloaded", s.U2),
    ("no_building_leader", "b2"),
    ("no_building_leader", "b5"),
    # households: P1 70, P2 35, U1 200, U2 600, G1 80, G2 20 — all outside 300–500
    *(("household_band", g) for g in (s.P1, s.P2, s.U1, s.U2, s.G1, s.G2)),
}


def test_gap_list_is_exactly_the_drawn_problems(cov):
    found = set(zip(cov.gaps["kind"], cov.gaps["object_id"], strict=True))
    assert found == EXPECTED_GAPS
    assert (cov.gaps["kind"] == "grid_overlap").sum() == 2  # once per side


def test_gap_rows_are_complete(cov):
    g = cov.gaps
    assert g.crs.to_epsg() == 4490 and g.geometry.notna().all()
    assert set(g["severity"]) == {"high", "medium", "low"}
    assert g["severity"].map({"high": 0, "medium": 1, "low": 2}).is_monotonic_increasing
    assert (g["district"] == s.DISTRICT).all() and (g["street"] == s.STREET).all()
    row = g[g["kind"] == "building_group_missing"].iloc[0]
    assert row["message"] == "2号楼住有正式党员5名，应建未建楼栋党小组。"  # names, never ids (issue 16)
    assert row["grid"] == s.P1 and row["community"] == s.C1
    gap = g[g["kind"] == "grid_gap_area"].iloc[0]
    assert "1000平方米" in gap["message"] and gap["layer"] == "governance"


def test_gap_filters(cov):
    assert set(cov.gap_list(s.C2)["community"]) == {s.C2}
    assert set(cov.gap_list(s.G2)["kind"]) == {"multiple_grid_leaders", "no_grid_worker", "household_band"}
    assert len(cov.gap_list(kind="no_building_leader")) == 2


def test_bad_grid_codes():
    import geopandas as gpd
    import shapely

    grids = gpd.GeoDataFrame(
        {
            "code": ["329902001002001", "32990200100200X", "329902001001005"],
            "community_code": [s.C2, s.C2, s.C2],
            "layer": ["party"] * 3,
        },
        geometry=[shapely.box(0, 0, 1, 1)] * 3,
    )
    assert [p["grid"] for p in bad_codes(grids)] == ["32990200100200X", "329902001001005"]


def test_bad_code_reaches_the_gap_list():
    layers = s.frames()
    grids = layers["grids"]
    grids.loc[grids["code"] == s.U2, "code"] = s.C1 + "099"  # U2 keeps community C2
    cov = compute_coverage(s.scene(layers))
    bad = cov.gap_list(kind="bad_grid_code")
    assert bad["object_id"].tolist() == [s.C1 + "099"] and bad["community"].tolist() == [s.C2]


def test_grid_buildings_with_status(cov):
    status = cov.grid_buildings(s.G1).set_index("id")["status"].to_dict()
    assert status == {"b1": "covered", "b2": "eligible_uncovered", "b4": "fine"}
    assert cov.grid_buildings(s.U1).set_index("id")["status"].to_dict() == {"b7": "covered"}


def test_missing_values_in_the_gap_list_are_none(cov):
    area_gap = cov.gap_list(kind="grid_gap_area").iloc[0]
    assert area_gap["grid"] is None and area_gap["object_type"] == "community"


def test_gap_table_prints_gaps_without_a_grid(cov):
    from gridsvc.textual import gaps_text

    text = gaps_text(cov.gaps, generated=False)
    assert "网格空白区域" in text and "楼栋不在网格内" in text


def test_a_person_assigned_twice_counts_once():
    # the staff counts take distinct (person, target) pairs: a leader recorded twice for the same
    # building or grid is one leader; two people are two
    layers = s.frames()
    extra = [
        ("BL1", "building", "b1", None, None),  # BL1 again for b1
        ("BL3", "building", "b1", None, None),  # and a second person for b1
        ("W1", "grid", s.G1, None, None),  # W1 again for G1
    ]
    a = layers["assignments"]
    layers["assignments"] = pd.concat([a, pd.DataFrame(extra, columns=a.columns)], ignore_index=True)
    cov = compute_coverage(s.scene(layers))
    leaders = cov.units.buildings.set_index("id")["building_leaders"]
    assert leaders[["b1", "b3", "b2"]].tolist() == [2, 1, 0]  # b2's leader left in 2025
    staff = cov.units.staff_grids.set_index("grid")
    assert staff.loc[s.G1, ["leaders", "workers", "fulltime_workers"]].tolist() == [1, 1, 1]
    assert staff.loc[s.G2, "leaders"] == 2
