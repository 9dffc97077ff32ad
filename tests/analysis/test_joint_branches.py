"""Joint-branch suggestions (domain.md rule 16) on a hand-drawn scene in metres with a unique optimum.

  communities  c1 -500..1000 | c2 1000..2000 (touches c1) | gap | c3 2100..3000
  units        A (0,0) 2 members, B (100,0) 1, C (200,0) 2, D (300,0) 1   — all in c1, enterprises
               U (1990,0) 2 members in c2, V (2110,0) 1 in c3             — 120 m apart, communities apart

Four units in c1 can all be placed: as {A,B,C,D} (pairwise 1,000 m), {A,B}+{C,D} (100 + 100 m),
{A,C}+{B,D} (400 m) or {A,D}+{B,C} (400 m); the optimum is {A,B} and {C,D}. U and V would be near
enough and have 3 members together, but c2 and c3 do not touch: no valid group takes them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.joint_branches import _cost, suggest_joint_branches, valid_group


def _scene():
    communities = gpd.GeoDataFrame(
        {"code": ["c1", "c2", "c3"]},
        geometry=[
            shapely.box(-500, -500, 1000, 500),
            shapely.box(1000, -500, 2000, 500),
            shapely.box(2100, -500, 3000, 500),
        ],
    )
    units = pd.DataFrame(
        {
            "id": ["A", "B", "C", "D", "U", "V"],
            "name": ["甲", "乙", "丙", "丁", "戊", "己"],
            "kind": ["enterprise"] * 6,
            "community": ["c1"] * 4 + ["c2", "c3"],
            "members": [2, 1, 2, 1, 2, 1],
            "geometry": [shapely.Point(x, 0) for x in (0, 100, 200, 300, 1990, 2110)],
        }
    )
    return units, communities


def test_the_unique_optimum_is_found():
    units, communities = _scene()
    found = suggest_joint_branches(units, communities)
    assert found.optimal
    assert [g["units"] for g in found.groups] == [["A", "B"], ["C", "D"]]
    assert [(g["members"], g["distance_m"]) for g in found.groups] == [(3, 100.0), (3, 100.0)]
    assert found.unplaceable == ["U", "V"] and found.left_out == []


def test_rule_15_names_what_fails():
    xy = np.array([[0, 0], [100, 0], [200, 0], [300, 0], [400, 0], [500, 0]])
    assert valid_group(xy, [1] * 6, ["c1"] * 6, set()) == ["more than 5 units"]
    assert valid_group(np.array([[1990, 0], [2110, 0]]), [2, 1], ["c2", "c3"], set()) == ["communities not adjacent"]
    assert valid_group(np.array([[0, 0], [2000, 0]]), [2, 1], ["c1", "c1"], set()) == [
        "a unit is more than 500 m from every other"
    ]


def test_a_unit_of_another_kind_costs_250_m_more():
    units, _ = _scene()
    xy = shapely.get_coordinates(np.asarray(units["geometry"], dtype=object))
    assert _cost(units["kind"].to_numpy(), xy, (0, 1)) == 100.0
    kinds = np.array(["enterprise", "social_org", *["enterprise"] * 4], dtype=object)
    assert _cost(kinds, xy, (0, 1)) == 350.0
