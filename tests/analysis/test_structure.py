"""Structure rule 14 (domain.md §8.3, rule 7 of §4) on the hand-drawn district: brP1 has 45 full and
8 probationary members (53 > 50: a gap placed in its grid P1), brU2 exactly 50 (no gap), the
committee c1 has 60 (not a branch: no gap)."""

from __future__ import annotations

import pandas as pd
import shapely

from gridsvc.analysis.coverage import compute_coverage
from tests import coverage_scene as s


def test_a_branch_of_more_than_50_members_is_a_gap():
    layers = s.frames()
    counts = {"brP1": (45, 8), "brU2": (50, 0), "c1": (60, 0)}
    p = layers["party_orgs"]
    layers["party_orgs"] = p.assign(
        full_members=pd.array([counts.get(i, (None, None))[0] for i in p["id"]], dtype="Int64"),
        probationary_members=pd.array([counts.get(i, (None, None))[1] for i in p["id"]], dtype="Int64"),
    )
    scene = s.scene(layers)
    gaps = compute_coverage(scene).gap_list(kind="branch_too_large")
    assert list(gaps["object_id"]) == ["brP1"]
    row = gaps.iloc[0]
    assert row["message"] == "P1党支部有党员53名，超过50名，宜分设党支部或成立党总支。"
    assert (row["community"], row["severity"]) == (s.C1, "low")
    p1 = scene.grids.loc[scene.grids["code"] == s.P1].geometry.iloc[0]
    assert shapely.within(row.geometry, p1)  # placed in the grid its scope names


def test_a_parent_in_another_community_breaks_territorial_management():
    """Rule 13 (属地管理). Parents: c1 (东社区党委, scoped to C1), c2 (西社区党委, C2), st (乙街道党工委,
    scoped to both: it sits in the street), s0 (a street committee naming nothing: no place).
    brP1 (grid P1, C1) under c1: fine; grp1 (b1, C1) under brP1: fine; brU1a (U1, C2) under st: fine;
    ob1 (o1) under s0: nothing said; brU2 (U2, C2) under c1: outside; jb1 (b7 and o3 in C2, o2 in C1)
    under c2: C1 is outside."""
    layers = s.frames()
    parent = {"brP1": "c1", "grp1": "brP1", "brU1a": "st", "ob1": "s0", "brU2": "c1", "jb1": "c2"}
    p = layers["party_orgs"]
    added = pd.DataFrame(
        [("c2", "西社区党委", "committee"), ("st", "乙街道党工委", "committee"), ("s0", "某街道党工委", "committee")],
        columns=["id", "name", "kind"],
    )
    layers["party_orgs"] = pd.concat([p, added], ignore_index=True).assign(parent_id=lambda f: f["id"].map(parent))
    scopes = pd.DataFrame(
        [("c2", "community", s.C2, None), ("st", "community", s.C1, None), ("st", "community", s.C2, None)],
        columns=["party_org_id", "target_type", "target_id", "own"],
    ).astype({"own": "boolean"})
    layers["party_org_scope"] = pd.concat([layers["party_org_scope"], scopes], ignore_index=True)
    gaps = compute_coverage(s.scene(layers)).gap_list(kind="parent_outside_area").set_index("object_id")
    assert sorted(gaps.index) == ["brU2", "jb1"]
    assert gaps.loc["brU2", "message"] == "U2党支部覆盖的单位在西社区，上级党组织东社区党委却在东社区，不符合属地管理。"
    assert (
        gaps.loc["jb1", "message"] == "联合党支部覆盖的单位在东社区，上级党组织西社区党委却在西社区，不符合属地管理。"
    )
    assert gaps.loc["brU2", "community"] == s.C2
