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
    assert valid_group(xy, 6, ["c1"] * 6, set()) == ["超过5个单位"]
    assert valid_group(np.array([[1990, 0], [2110, 0]]), 3, ["c2", "c3"], set()) == ["单位不在同一社区或相邻社区"]
    assert valid_group(np.array([[0, 0], [2000, 0]]), 3, ["c1", "c1"], set()) == ["有单位与组内其他单位都相距500米以上"]


def test_a_unit_of_another_kind_costs_250_m_more():
    units, _ = _scene()
    xy = shapely.get_coordinates(np.asarray(units["geometry"], dtype=object))
    assert _cost(units["kind"].to_numpy(), xy, (0, 1)) == 100.0
    kinds = np.array(["enterprise", "social_org", *["enterprise"] * 4], dtype=object)
    assert _cost(kinds, xy, (0, 1)) == 350.0


def test_stored_joint_branches_that_break_rule_15_are_gaps():
    """The hand-drawn district (tests/coverage_scene.py) with two more joint branches: jbBig names six
    organizations o1–o6; jbFar names o5 (330,80 in C2) and o8 (2500,50) in a community C3 at
    2400..2600 that touches nothing — 2,170 m apart. jb1 (o2 and o3, 200 m apart in touching C1 and
    C2, 5 members) stays valid."""
    from gridsvc.analysis.coverage import compute_coverage
    from tests import coverage_scene as s

    layers = s.frames()
    c3 = s.STREET + "003"
    layers["communities"] = pd.concat(
        [
            layers["communities"],
            gpd.GeoDataFrame(
                {"code": [c3], "name": ["远社区"], "street_code": [s.STREET], "street_name": ["乙街道"]}
                | {"district_code": [s.DISTRICT], "district_name": ["测试二区"]},
                geometry=s.lonlat([s.box(2400, 0, 2600, 100)]),
            ),
        ],
        ignore_index=True,
    )
    far = gpd.GeoDataFrame(
        {"id": ["o8"], "name": ["组织8"], "kind": ["enterprise"], "full_members": pd.array([3], dtype="Int64")}
        | {"has_union": [False], "has_youth_league": [False]},
        geometry=s.lonlat([s.pt(2500, 50)]),
    )
    layers["organizations"] = pd.concat([layers["organizations"], far], ignore_index=True)
    layers["party_orgs"] = pd.concat(
        [
            layers["party_orgs"],
            pd.DataFrame({"id": ["jbBig", "jbFar"], "name": ["大联合支部", "远联合支部"]}).assign(kind="joint_branch"),
        ],
        ignore_index=True,
    )
    more = [("jbBig", "organization", f"o{i}", False) for i in range(1, 7)] + [
        ("jbFar", "organization", "o5", False),
        ("jbFar", "organization", "o8", False),
    ]
    scopes = pd.DataFrame(more, columns=["party_org_id", "target_type", "target_id", "own"])
    layers["party_org_scope"] = pd.concat(
        [layers["party_org_scope"], scopes.astype({"own": "boolean"})], ignore_index=True
    )
    gaps = compute_coverage(s.scene(layers)).gap_list(kind="joint_branch_invalid")
    assert dict(zip(gaps["object_id"], gaps["message"], strict=True)) == {
        "jbBig": "大联合支部不符合联合党支部的条件：超过5个单位。",
        "jbFar": "远联合支部不符合联合党支部的条件：有单位与组内其他单位都相距500米以上；单位不在同一社区或相邻社区。",
    }
    assert set(gaps["severity"]) == {"medium"} and gaps.geometry.notna().all()
