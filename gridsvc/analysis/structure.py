"""Gaps of the Party structure rules (domain.md §8.3): joint branches that break rule 15, branches
too large or without the committee their full members call for (rule 14), parents outside the area
(rule 13) — each placed where the organization's scope is; and the other §8 gaps of a place: a
community without a centre (§8.4), needs unmet and communities without a unit seat (§8.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis import territory
from gridsvc.analysis.cobuilding import communities_without_seat, unmet_needs
from gridsvc.analysis.facilities import communities_without_centre
from gridsvc.analysis.gaps import gap_row
from gridsvc.analysis.scene import Scene, area_names, counts, flags
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
BRANCH_COMMITTEE_FULL_MEMBERS = 7  # rule 7: from this many full members a branch has a committee (支部委员会)
BRANCH_KINDS = ("branch", "joint_branch")


def scope_places(scene: Scene, units: Units, party_orgs: set[str]) -> dict[str, tuple]:
    """Where each of ``party_orgs`` is, for a gap about it: (community, point in EPSG:4490) of the
    first target its scope names that the scene holds (a grid, building, organization or community).
    Only their own targets are looked up: this runs with every coverage."""
    s = scene.scopes[scene.scopes["party_org_id"].isin(party_orgs)]
    places = _target_places(scene, units, set(s["target_id"]), points=True)
    out: dict[str, tuple] = {}
    for party_org, kind, target in zip(s["party_org_id"], s["target_type"], s["target_id"], strict=True):
        place = places.get(kind, {}).get(target)
        if party_org not in out and place is not None and isinstance(place[0], str):
            out[party_org] = place
    return out


def scope_communities(scene: Scene, units: Units, party_orgs: set[str]) -> dict[str, set[str]]:
    """Each of ``party_orgs`` → the communities of the grids, buildings, organizations and
    communities its scope names (those the scene holds)."""
    s = scene.scopes[scene.scopes["party_org_id"].isin(party_orgs).to_numpy()]
    places = _target_places(scene, units, set(s["target_id"]), points=False)
    out: dict[str, set[str]] = {}
    for party_org, kind, target in zip(s["party_org_id"], s["target_type"], s["target_id"], strict=True):
        community = places.get(kind, {}).get(target, (None,))[0]
        if isinstance(community, str):
            out.setdefault(party_org, set()).add(community)
    return out


def _target_places(scene: Scene, units: Units, wanted: set[str], points: bool) -> dict[str, dict]:
    """Scope target type → {target: (community, point or None)} for the ``wanted`` targets the scene
    holds (the points only where asked: a grid's costs a point-on-surface)."""
    g = scene.grids[scene.grids["code"].isin(wanted)]
    c = scene.communities[scene.communities["code"].isin(wanted)]
    b = units.buildings["id"].isin(wanted).to_numpy()
    o = units.organizations["id"].isin(wanted).to_numpy()

    def at(ids, communities, where) -> dict:
        shown = where() if points else [None] * len(ids)
        return dict(zip(ids, zip(communities, shown, strict=True), strict=True))

    return {
        "grid": at(g["code"], g["community_code"], lambda: shapely.point_on_surface(g.geometry.values)),
        "community": at(c["code"], c["code"], lambda: shapely.point_on_surface(c.geometry.values)),
        "building": at(
            units.buildings["id"][b], units.buildings["community"][b], lambda: scene.buildings["rep_point"][b]
        ),
        "organization": at(
            units.organizations["id"][o], units.organizations["community"][o], lambda: scene.organizations.geometry[o]
        ),
    }


def branch_gaps(scene: Scene, units: Units) -> list[dict]:
    """Rule 14: a branch (or joint branch) with more than 50 members, full and probationary together
    (``branch_too_large``), or with 7 full members or more and no branch committee recorded
    (``branch_needs_committee``); placed where its scope's first target is."""
    p = scene.party_orgs
    full, probationary = (counts(p, c) for c in ("full_members", "probationary_members"))
    members = full + probationary
    branch = p["kind"].isin(BRANCH_KINDS).to_numpy()
    committee = flags(p, "has_committee")
    large = branch & (members > BRANCH_MAX_MEMBERS)
    uncommitted = branch & (full >= BRANCH_COMMITTEE_FULL_MEMBERS) & ~committee
    if not (large.any() or uncommitted.any()):
        return []
    where = scope_places(scene, units, set(p["id"][large | uncommitted]))
    rows = []
    for i in np.flatnonzero(large | uncommitted):
        party_org, name = p["id"].iat[i], p["name"].iat[i] or p["id"].iat[i]
        if party_org not in where:
            continue
        community, point = where[party_org]
        if large[i]:
            text = f"{name}有党员{members[i]}名，超过{BRANCH_MAX_MEMBERS}名，宜分设党支部或成立党总支。"
            rows.append(gap_row("branch_too_large", community, None, party_org, text, point))
        if uncommitted[i]:
            text = f"{name}有正式党员{full[i]}名，应设立支部委员会，未登记支部委员会。"
            rows.append(gap_row("branch_needs_committee", community, None, party_org, text, point))
    return rows


def parent_gaps(scene: Scene, units: Units) -> list[dict]:
    """Rule 13 (属地管理, :mod:`gridsvc.analysis.territory`): a Party organization whose units lie in a
    community its parent does not sit in (``parent_outside_area``)."""
    p = scene.party_orgs
    if "parent_id" not in p.columns or p["parent_id"].isna().all():
        return []
    parents = scene.parent_scopes if scene.parent_scopes is not None else _parents_in(scene)
    seats = territory.parent_seats(parents)
    names = dict(zip(parents["party_org_id"], parents["name"], strict=True)) | dict(
        zip(p["id"], p["name"], strict=True)
    )
    children = p[p["parent_id"].isin(set(seats)).to_numpy()]
    covered = scope_communities(scene, units, set(children["id"]))
    where = scope_places(scene, units, set(children["id"]))
    area = area_names(scene)
    rows = []
    for child, parent in zip(children["id"], children["parent_id"], strict=True):
        away = territory.outside(covered.get(child, set()), seats[parent])
        if not away or child not in where:
            continue
        community, point = where[child]
        text = (
            f"{names.get(child) or child}覆盖的单位在{'、'.join(area.get(c, c) for c in away)}，"
            f"上级党组织{names.get(parent) or parent}却在{area.get(seats[parent], seats[parent])}，不符合属地管理。"
        )
        rows.append(gap_row("parent_outside_area", community, None, child, text, point))
    return rows


def _parents_in(scene: Scene) -> pd.DataFrame:
    """The scopes of the scene's Party organizations, named: a hand-made scene holds every parent."""
    return scene.scopes.assign(name=scene.scopes["party_org_id"].map(scene.party_orgs.set_index("id")["name"]))


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


def need_gaps(scene: Scene, units: Units, days: int) -> list[dict]:
    """§8.1 ``need_unmet``: a need open more than ``days`` days, placed where it is — its point, else
    its building, else its community (or street) — and counted in the community it lies in."""
    items = scene.items
    hit = np.flatnonzero(unmet_needs(items, scene.as_of, days)) if len(items) else []
    if not len(hit):
        return []
    at_building = dict(zip(scene.buildings["id"], scene.buildings["rep_point"], strict=True))
    building_community = dict(zip(units.buildings["id"], units.buildings["community"], strict=True))
    places, names = _area_places(scene), area_names(scene)
    rows = []
    for i in hit:
        item = items.iloc[i]
        area, point = item["area_code"], item.geometry
        if point is None or point.is_empty:
            point = at_building.get(item["building_id"])
            community = building_community.get(item["building_id"])
        else:
            community = _community_at(scene, point)
        opened = pd.Timestamp(item["opened_on"]).date()
        kind = f"（{item['kind']}）" if isinstance(item["kind"], str) and item["kind"] else ""
        text = (
            f"{names.get(area, area)}的需求{kind}“{item['description']}”于{opened:%Y-%m-%d}提出，"
            f"已{(scene.as_of - opened).days}天仍未认领，超过{days}天。"
        )
        place = point if point is not None else places.get(area)
        rows.append(
            gap_row("need_unmet", community if isinstance(community, str) else area, None, item["id"], text, place)
        )
    return rows


def _community_at(scene: Scene, point) -> str | None:
    inside = shapely.contains(scene.communities.geometry.values, point)
    return scene.communities["code"].iat[int(np.argmax(inside))] if inside.any() else None


def seat_gaps(scene: Scene, units: Units) -> list[dict]:
    """``no_unit_seat``: a community with resident units where none holds a seat on the community
    Party committee (兼职委员); judged only where seats are held at all."""
    if not scene.seat_data:
        return []
    places, names = _area_places(scene), area_names(scene)
    rows = []
    for community, count in communities_without_seat(units.organizations, scene.seats).items():
        text = f"{names.get(community, community)}有驻区单位{count}家，社区党组织没有驻区单位党组织负责人担任兼职委员。"
        rows.append(gap_row("no_unit_seat", community, None, community, text, places.get(community)))
    return rows


def _area_places(scene: Scene) -> dict:
    """A point inside each community, and inside each street's first community."""
    c = scene.communities
    points = shapely.point_on_surface(c.geometry.values)
    return dict(zip(c["street_code"][::-1], points[::-1], strict=True)) | dict(zip(c["code"], points, strict=True))
