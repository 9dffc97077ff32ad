"""Organization coverage by sector (domain.md §8.2) and the committee part of rule 14 (§8.3), on the
hand-drawn district (tests/coverage_scene.py) with these changes, every answer countable by eye:

  o2 (4 members, joint)  a social organization     o3 (1, joint)   a public unit (resident unit)
  o6 (1, nothing)        an enterprise flagged as a resident unit
  o8 (1) and o9 (0)      an enterprise and a social organization in the office building b6,
                         which the building Party branch lb6 names: covered, jointly
  o10 (0)                an enterprise in the residential b1, which the Party group grp1 names: not covered
  o11 (0)                an enterprise in the residential b5, which the branch br5 names: not covered
                         (a branch covers the organizations of an office building, not of a home)

The 两新 organizations are then o1 o2 o4 o5 o7 o8 o9 o10 o11 (9); resident units o3 and o6 are left out.
Enterprises: o1 o4 o5 o7 o8 o10 o11 (7); social organizations: o2 o9 (2).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from gridsvc.analysis.coverage import compute_coverage
from tests import coverage_scene as s


def _layers() -> dict:
    layers = s.frames()
    o = layers["organizations"]
    extra = gpd.GeoDataFrame(
        {
            "id": ["o8", "o9", "o10", "o11"],
            "name": ["组织8", "组织9", "组织10", "组织11"],
            "kind": ["enterprise", "social_org", "enterprise", "enterprise"],
            "full_members": pd.array([1, 0, 0, 0], dtype="Int64"),
            "has_union": [False] * 4,
            "has_youth_league": [False] * 4,
            "building_id": ["b6", "b6", "b1", "b5"],
        },
        geometry=s.lonlat([s.pt(160, 20), s.pt(165, 25), s.pt(20, 20), s.pt(195, 50)]),
    )
    o = o.assign(
        kind=o["kind"].mask(o["id"] == "o2", "social_org").mask(o["id"] == "o3", "public_unit"),
        resident_unit=o["id"] == "o6",
        building_id=None,
    )
    layers["organizations"] = gpd.GeoDataFrame(pd.concat([o, extra], ignore_index=True), crs=o.crs)
    layers["organizations"]["resident_unit"] = layers["organizations"]["resident_unit"].fillna(False)
    layers["party_orgs"] = pd.concat(
        [layers["party_orgs"], pd.DataFrame([("lb6", "6号写字楼党支部", "branch")], columns=["id", "name", "kind"])],
        ignore_index=True,
    )
    scopes = pd.DataFrame(
        [("lb6", "building", "b6", None)], columns=["party_org_id", "target_type", "target_id", "own"]
    )
    layers["party_org_scope"] = pd.concat([layers["party_org_scope"], scopes.astype({"own": "boolean"})])
    return layers


@pytest.fixture(scope="module")
def cov():
    return compute_coverage(s.scene(_layers()))


@pytest.mark.parametrize(
    ("key", "numerator", "denominator"),
    [
        ("org_coverage", 4, 9),  # o1 own; o2 joint; o8, o9 by the office building's branch
        ("org_own_rate", 1, 9),
        ("org_should_build_rate", 1, 3),  # o1, o2, o7 have 3 or more; o1 built its own
        ("org_work_coverage", 6, 9),  # the four above, o4 (union), o5 (liaison); not o7 (ended), o10, o11
        ("org_coverage@enterprise", 2, 7),  # o1, o8
        ("org_own_rate@enterprise", 1, 7),
        ("org_should_build_rate@enterprise", 1, 2),  # o1 of o1, o7
        ("org_work_coverage@enterprise", 4, 7),  # o1, o4, o5, o8
        ("org_coverage@social_org", 2, 2),
        ("org_own_rate@social_org", 0, 2),
        ("org_should_build_rate@social_org", 0, 1),  # o2
        ("org_work_coverage@social_org", 2, 2),
    ],
)
def test_two_new_figures_by_sector_leave_resident_units_out(cov, key, numerator, denominator):
    figure = cov.metrics(s.DISTRICT)[key]
    assert (figure["numerator"], figure["denominator"]) == (numerator, denominator)
    assert figure["value"] == pytest.approx(numerator / denominator, abs=1e-6)  # rounded to 6 places


def test_sector_figures_add_up_to_the_two_new_figure_per_community(cov):
    for code in (s.C1, s.C2):
        m = cov.metrics(code)
        parts = [m[f"org_coverage@{sector}"]["denominator"] for sector in ("enterprise", "social_org")]
        assert sum(parts) == m["org_coverage"]["denominator"]  # no other kinds in this scene


def test_an_office_building_branch_covers_its_tenants_but_a_residential_group_does_not(cov):
    uncovered = set(cov.gap_list(kind="org_no_work_coverage")["object_id"])
    assert {"o8", "o9"}.isdisjoint(uncovered)
    assert {"o10", "o11", "o7", "o6"} <= uncovered  # a resident unit still gets the gap of rule 6's unit
    orgs = cov.units.organizations.set_index("id")
    assert orgs.loc["o8", "joint"] and not orgs.loc["o8", "own"]


def test_a_branch_of_7_full_members_without_a_committee_is_a_gap():
    layers = s.frames()
    counts = {"brP1": (7, False), "brU2": (7, True), "jb1": (8, False), "br5": (6, False), "c1": (60, False)}
    p = layers["party_orgs"]
    layers["party_orgs"] = p.assign(
        full_members=pd.array([counts.get(i, (None, None))[0] for i in p["id"]], dtype="Int64"),
        has_committee=[counts.get(i, (None, False))[1] for i in p["id"]],
    )
    gaps = compute_coverage(s.scene(layers)).gap_list(kind="branch_needs_committee")
    assert sorted(gaps["object_id"]) == ["brP1", "jb1"]  # brU2 has one; br5 has 6; c1 is no branch
    row = gaps.set_index("object_id").loc["brP1"]
    assert row["message"] == "P1党支部有正式党员7名，应设立支部委员会，未登记支部委员会。"
    assert (row["community"], row["severity"]) == (s.C1, "low")
