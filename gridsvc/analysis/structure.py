"""Gaps of the Party structure rules (domain.md §8.3): joint branches that break rule 15, branches
too large for rule 14 — each placed where the organization's scope is."""

from __future__ import annotations

import pandas as pd
import shapely

from gridsvc.analysis.facilities import communities_without_centre
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


def scope_places(scene: Scene, units: Units, party_orgs: set[str]) -> dict[str, tuple]:
    """Where each of ``party_orgs`` is, for a gap about it: (community, point in EPSG:4490) of the
    first target its scope names that the scene holds (a grid, building, organization or community).
    Only their own targets are looked up: this runs with every coverage."""
    s = scene.scopes[scene.scopes["party_org_id"].isin(party_orgs)]
    wanted = set(s["target_id"])
    g = scene.grids[scene.grids["code"].isin(wanted)]
    c = scene.communities[scene.communities["code"].isin(wanted)]
    b = units.buildings["id"].isin(wanted).to_numpy()
    o = units.organizations["id"].isin(wanted).to_numpy()
    places = {
        "grid": _places(g["code"], g["community_code"], shapely.point_on_surface(g.geometry.values)),
        "community": _places(c["code"], c["code"], shapely.point_on_surface(c.geometry.values)),
        "building": _places(units.buildings["id"][b], units.buildings["community"][b], scene.buildings["rep_point"][b]),
        "organization": _places(
            units.organizations["id"][o], units.organizations["community"][o], scene.organizations.geometry[o]
        ),
    }
    out: dict[str, tuple] = {}
    for party_org, kind, target in zip(s["party_org_id"], s["target_type"], s["target_id"], strict=True):
        place = places.get(kind, {}).get(target)
        if party_org not in out and place is not None and isinstance(place[0], str):
            out[party_org] = place
    return out


def _places(ids, communities, points) -> dict:
    return dict(zip(ids, zip(communities, points, strict=True), strict=True))


def branch_gaps(scene: Scene, units: Units) -> list[dict]:
    """Rule 14: a branch (or joint branch) with more than 50 members, full and probationary together,
    placed where its scope's first target is."""
    p = scene.party_orgs
    members = pd.Series(0, index=p.index)
    for column in ("full_members", "probationary_members"):  # a hand-made scene may have neither
        if column in p.columns:
            members = members + p[column].fillna(0).astype(int)
    large = ((members > BRANCH_MAX_MEMBERS) & p["kind"].isin(BRANCH_KINDS)).to_numpy()
    if not large.any():
        return []
    where = scope_places(scene, units, set(p["id"][large]))
    rows = []
    for party_org, name, count in zip(p["id"][large], p["name"][large], members[large], strict=True):
        if party_org not in where:
            continue
        community, point = where[party_org]
        text = f"{name or party_org}有党员{count}名，超过{BRANCH_MAX_MEMBERS}名，宜分设党支部或成立党总支。"
        rows.append(gap_row("branch_too_large", community, None, party_org, text, point))
    return rows


def centre_gaps(scene: Scene) -> list[dict]:
    """§8.4: a community with no community centre (only where facilities are held at all)."""
    if not scene.facility_data:
        return []
    names = dict(zip(scene.communities["code"], scene.communities["name"], strict=True))
    places = dict(
        zip(scene.communities["code"], shapely.point_on_surface(scene.communities.geometry.values), strict=True)
    )
    return [
        gap_row(
            "no_community_centre",
            code,
            None,
            code,
            f"{names.get(code) or code}没有社区党群服务中心。",
            places[code],
        )
        for code in communities_without_centre(scene)
    ]
