"""Gaps of the Party structure rules (domain.md §8.3): joint branches that break rule 15, branches
too large for rule 14 — each placed where the organization's scope is."""

from __future__ import annotations

import pandas as pd
import shapely

from gridsvc.analysis.gaps import gap_row
from gridsvc.analysis.scene import Scene
from gridsvc.analysis.units import Units


def joint_branch_gaps(units: Units, scene: Scene) -> list[dict]:
    """Rule 15 (domain.md §8.3): a joint branch whose units are too many, too far apart, in communities
    that do not touch, or short of 3 full members, with every reason named."""
    from gridsvc.analysis.joint_branches import check_joint_branches

    return [
        gap_row(
            "joint_branch_invalid",
            found["community"],
            None,
            found["party_org_id"],
            f"{found['name'] or found['party_org_id']}不符合联合党支部的条件：{'；'.join(found['reasons'])}。",
            found["geometry"],
        )
        for found in check_joint_branches(scene, units.organizations)
    ]


BRANCH_MAX_MEMBERS = 50  # domain.md rule 7 (§8.3 rule 14): a branch normally has at most this many members
BRANCH_KINDS = ("branch", "joint_branch")


def scope_places(scene: Scene, units: Units) -> dict[str, tuple]:
    """Where each Party organization is, for a gap about it: (community, point in EPSG:4490) of the
    first target its scope names that the scene holds (a grid, building, organization or community)."""
    b, o = units.buildings, units.organizations
    places = {
        "grid": dict(
            zip(
                scene.grids["code"],
                zip(scene.grids["community_code"], shapely.point_on_surface(scene.grids.geometry.values), strict=True),
                strict=True,
            )
        ),
        "building": dict(zip(b["id"], zip(b["community"], scene.buildings["rep_point"], strict=True), strict=True)),
        "organization": dict(zip(o["id"], zip(o["community"], scene.organizations.geometry, strict=True), strict=True)),
        "community": dict(
            zip(
                scene.communities["code"],
                zip(
                    scene.communities["code"], shapely.point_on_surface(scene.communities.geometry.values), strict=True
                ),
                strict=True,
            )
        ),
    }
    out: dict[str, tuple] = {}
    for party_org, kind, target in zip(
        scene.scopes["party_org_id"], scene.scopes["target_type"], scene.scopes["target_id"], strict=True
    ):
        place = places.get(kind, {}).get(target)
        if party_org not in out and place is not None and isinstance(place[0], str):
            out[party_org] = place
    return out


def branch_gaps(scene: Scene, where) -> list[dict]:
    """Rule 14: a branch (or joint branch) with more than 50 members, full and probationary together,
    placed where its scope's first target is (``where(party_org_id)``: (community, point) or None)."""
    p = scene.party_orgs
    members = pd.Series(0, index=p.index)
    for column in ("full_members", "probationary_members"):  # a hand-made scene may have neither
        if column in p.columns:
            members = members + p[column].fillna(0).astype(int)
    rows = []
    for party_org, name, count in zip(p["id"], p["name"], members, strict=True):
        if count <= BRANCH_MAX_MEMBERS or p.loc[p["id"] == party_org, "kind"].iat[0] not in BRANCH_KINDS:
            continue
        place = where(party_org)
        if place is None:
            continue
        text = f"{name or party_org}有党员{count}名，超过{BRANCH_MAX_MEMBERS}名，宜分设党支部或成立党总支。"
        rows.append(gap_row("branch_too_large", place[0], None, party_org, text, place[1]))
    return rows
