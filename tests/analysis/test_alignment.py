"""Alignment of the two layers on the hand-drawn scene (tests/coverage_scene.py).

Community C1, households by (Party grid, governance grid):
          G1   G2
    P1    70    0      b1 40 + b2 30
    P2    10   20      b4 10 | b3 20 (b6, an office, has none)
    b5 (5 households) has no governance grid.
Best matching P1–G1, P2–G2: 90 of 105 households. C2's unified grids match themselves: 800/800.
"""

from __future__ import annotations

import pandas as pd
import pytest

from gridsvc.analysis.alignment import match_grids
from gridsvc.analysis.coverage import compute_coverage
from tests import coverage_scene as s


@pytest.fixture(scope="module")
def cov():
    layers = s.frames()
    # a Party group over b3 and b4: b4 is to move to P1, b3 stays in P2, so the group would be split
    layers["party_orgs"] = pd.concat(
        [layers["party_orgs"], pd.DataFrame([("grp34", "3、4号楼党小组", "group")], columns=["id", "name", "kind"])]
    )
    extra = pd.DataFrame(
        [("grp34", "building", "b3", None), ("grp34", "building", "b4", None)],
        columns=["party_org_id", "target_type", "target_id", "own"],
    )
    layers["party_org_scope"] = pd.concat([layers["party_org_scope"], extra.astype({"own": "boolean"})])
    return compute_coverage(s.scene(layers))


def test_alignment_rate_and_pairs(cov):
    a = cov.alignment(s.C1)
    assert a.rate == {"value": pytest.approx(90 / 105, abs=1e-6), "numerator": 90, "denominator": 105}
    assert [(p["party"], p["governance"], p["households"]) for p in a.pairs] == [(s.P1, s.G1, 70), (s.P2, s.G2, 20)]
    assert [p["iou"] for p in a.pairs] == [pytest.approx(100 / 120, abs=1e-3), pytest.approx(70 / 100, abs=1e-3)]
    assert a.unmatched == []


def test_moves_and_what_they_disturb(cov):
    moves = {m["building_id"]: m for m in cov.alignment(s.C1).moves}
    assert set(moves) == {"b4", "b5"}
    assert (moves["b4"]["from_grid"], moves["b4"]["to_grid"], moves["b4"]["households"]) == (s.P2, s.P1, 10)
    assert {"type": "party_group_split", "party_org_id": "grp34", "name": "3、4号楼党小组"} in moves["b4"]["disturbs"]
    assert {"type": "building_leader_changes_grid", "staff_id": "BL4", "name": "马"} in moves["b4"]["disturbs"]
    assert moves["b4"]["building_name"] == "4号楼"  # names beside ids, for people (issue 16, item 3)
    assert moves["b5"]["to_grid"] is None and moves["b5"]["governance_grid"] is None  # no governance grid


def test_unified_grids_align_with_themselves(cov):
    a = cov.alignment(s.C2)
    assert a.rate["value"] == 1.0 and a.moves == []
    assert [(p["party"], p["governance"], p["iou"]) for p in a.pairs] == [(s.U1, s.U1, 1.0), (s.U2, s.U2, 1.0)]


def test_alignment_rate_in_the_tree_rolls_up_by_sums(cov):
    assert cov.metrics(s.C1)["alignment_rate"]["numerator"] == 90
    assert cov.metrics(s.DISTRICT)["alignment_rate"] == {
        "value": pytest.approx(890 / 905, abs=1e-6),
        "numerator": 890,
        "denominator": 905,
    }


def test_unmatched_grids_are_listed():
    t = pd.DataFrame([[50, 0, 5], [0, 40, 0]], index=["P1", "P2"], columns=["G1", "G2", "G3"])
    assert match_grids(t) == [("P1", "G1"), ("P2", "G2")]
