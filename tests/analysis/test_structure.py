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
