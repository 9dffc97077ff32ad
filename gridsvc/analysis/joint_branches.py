"""Joint-branch suggestions (domain.md §8.3 rule 16, ★): which uncovered small units could form joint
Party branches (联合党支部), "地域相邻、行业相近".

The units: 两新 organizations (``enterprise``, ``social_org``) without a Party organization of
their own or a joint one, with fewer full members than rule 6's threshold (3). A group is valid by
rule 15: at most 5 units, each within 500 m of another unit of the group, all in one community or
in communities that touch, and at least 3 full members together.

How groups are chosen — an exact programme over the candidate groups, solved by HiGHS:

1. Candidate groups are enumerated: every valid group whose units are connected by links of at
   most 500 m, growing each group only by a unit among the 8 nearest (within 500 m) of one of its
   units, and only with a unit whose id sorts after the group's first (each set once).
2. A group's cost is the sum of its pairwise distances in metres, plus 250 per pair of units of
   different kinds (行业相近: a unit of the other kind must be 250 m closer to be worth it).
3. Two programmes pick disjoint groups: the first places as many units as possible; the second,
   keeping that many placed, takes the lowest total cost.

So the answer is optimal among the candidate groups; the only restriction is step 1's 8 nearest
neighbours. Units that no candidate group holds are listed as such; units in some candidate group
but left out by the optimum are listed apart.

>>> # s = suggest_joint_branches(units, scene.crs); s.groups[0]["units"], s.unplaceable
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

KINDS = ("enterprise", "social_org")  # 两新组织
MEMBERS_NEEDED = 3  # rule 15: a joint branch holds at least this many full members
MAX_UNITS = 5  # rule 15: at most this many units
REACH_M = 500.0  # rule 15: each unit within this distance of another of its group
NEIGHBOURS = 8  # step 1: a group grows only by one of a unit's nearest
OTHER_KIND_M = 250.0  # step 2: what a pair of different kinds costs, in metres
MAX_GROUPS = 200_000  # candidate groups at most (a dense district); beyond, the nearest are kept
MIP_GAP = 1e-4  # HiGHS stops within 0.01 % of the optimum (the units placed: exactly, being fewer than 10,000)


@dataclass
class Suggestion:
    groups: list[dict] = field(default_factory=list)  # units, names, kinds, members, distance_m, cost
    unplaceable: list[str] = field(default_factory=list)  # no valid group holds them
    left_out: list[str] = field(default_factory=list)  # some group could, the optimum did not
    candidates: int = 0  # groups enumerated
    optimal: bool = True


def candidate_units(organizations: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """The units rule 16 is about: 两新 organizations not covered, below the members' threshold;
    with their community and members (``units``: the coverage's organization units)."""
    o = organizations.set_index("id")
    u = units.set_index("id")
    mine = u.index[(~u["party_covered"]) & (u["full_members"] < MEMBERS_NEEDED) & u["community"].notna()]
    mine = [i for i in mine if o.at[i, "kind"] in KINDS]
    return pd.DataFrame(
        {
            "id": mine,
            "name": [o.at[i, "name"] for i in mine],
            "kind": [o.at[i, "kind"] for i in mine],
            "community": [u.at[i, "community"] for i in mine],
            "members": [int(u.at[i, "full_members"]) for i in mine],
            "geometry": [o.at[i, "geometry"] for i in mine],
        }
    )


def valid_group(xy: np.ndarray, members: int, communities: list[str], touching: set) -> list[str]:
    """What keeps units at ``xy`` (metres) with ``members`` full members together from being a valid
    joint branch (rule 15), as a person reads it; empty when it is valid.

    >>> valid_group(np.array([[0, 0], [100, 0]]), 3, ["c1", "c1"], set())
    []
    >>> valid_group(np.array([[0, 0], [900, 0]]), 2, ["c1", "c2"], set())
    ['正式党员不足3名', '有单位与组内其他单位都相距500米以上', '单位不在同一社区或相邻社区']
    """
    failing = []
    if len(xy) > MAX_UNITS:
        failing.append(f"超过{MAX_UNITS}个单位")
    if members < MEMBERS_NEEDED:
        failing.append(f"正式党员不足{MEMBERS_NEEDED}名")
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    if len(xy) > 1 and (d.min(axis=1) > REACH_M).any():
        failing.append(f"有单位与组内其他单位都相距{REACH_M:.0f}米以上")
    pairs = itertools.combinations(sorted(set(communities)), 2)
    if any((a, b) not in touching for a, b in pairs):
        failing.append("单位不在同一社区或相邻社区")
    return failing


def check_joint_branches(scene, organizations: pd.DataFrame) -> list[dict]:
    """Rule 15 on the stored joint branches: each one whose organizations break it, with the reasons,
    its units and their centre (EPSG:4490). ``organizations``: the coverage's organization units. The
    branch's own ``full_members`` counts where it is given, else its units' together."""
    p = scene.party_orgs
    joint = p[p["kind"] == "joint_branch"].set_index("id")
    s = scene.scopes
    named = s[(s["target_type"] == "organization") & s["party_org_id"].isin(joint.index)]
    units = organizations.set_index("id")
    if named.empty or units.empty:
        return []
    lonlat = scene.organizations.set_index("id").geometry
    metric = lonlat.to_crs(scene.crs)
    touching = _touching(scene.communities.to_crs(scene.crs))
    out = []
    for party_org, ids in named.groupby("party_org_id")["target_id"]:
        ids = [i for i in dict.fromkeys(ids) if i in units.index and pd.notna(units.at[i, "community"])]
        if not ids:
            continue
        own = joint["full_members"].get(party_org) if "full_members" in joint.columns else None
        members = int(own) if own is not None and pd.notna(own) else int(units.loc[ids, "full_members"].sum())
        xy = shapely.get_coordinates(np.asarray(metric.loc[ids], dtype=object))
        reasons = valid_group(xy, members, list(units.loc[ids, "community"]), touching)
        if reasons:
            out.append(
                {
                    "party_org_id": party_org,
                    "name": joint.at[party_org, "name"],
                    "units": ids,
                    "community": units.at[ids[0], "community"],
                    "reasons": reasons,
                    "geometry": shapely.centroid(shapely.MultiPoint(list(lonlat.loc[ids]))),
                }
            )
    return out


def suggest_joint_branches(candidates: pd.DataFrame, communities: pd.DataFrame) -> Suggestion:
    """Rule 16 on ``candidate_units`` (geometry in metres) within ``communities`` (code, geometry in
    the same CRS): the disjoint valid groups placing the most units at the least cost."""
    n = len(candidates)
    if n == 0:
        return Suggestion()
    xy = shapely.get_coordinates(np.asarray(candidates["geometry"], dtype=object))
    touching = _touching(communities)
    groups = _enumerate(candidates, xy, touching)
    in_some = {i for g in groups for i in g}
    out = Suggestion(
        candidates=len(groups), unplaceable=[candidates["id"].iat[i] for i in range(n) if i not in in_some]
    )
    if not groups:
        return out
    kinds = candidates["kind"].to_numpy()
    chosen: list[tuple[int, ...]] = []
    for part in _components(groups, n):  # groups sharing no unit are independent programmes
        picked, optimal = _solve([groups[j] for j in part], xy, kinds, n)
        chosen += picked
        out.optimal &= optimal
    placed = {i for g in chosen for i in g}
    out.left_out = [candidates["id"].iat[i] for i in sorted(in_some - placed)]
    out.groups = [_describe(candidates, xy, g) for g in sorted(chosen, key=lambda g: candidates["id"].iat[g[0]])]
    return out


def _components(groups: list[tuple[int, ...]], n: int) -> list[list[int]]:
    """The groups in parts that share no unit (union-find over the units)."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for g in groups:
        for i in g[1:]:
            parent[root(i)] = root(g[0])
    parts: dict[int, list[int]] = {}
    for j, g in enumerate(groups):
        parts.setdefault(root(g[0]), []).append(j)
    return list(parts.values())


def _solve(groups: list[tuple[int, ...]], xy: np.ndarray, kinds: np.ndarray, n: int) -> tuple[list, bool]:
    """Step 3 on one part: the most units placed, then the least cost; and whether both were proven."""
    costs = np.array([_cost(kinds, xy, g) for g in groups])
    sizes = np.array([len(g) for g in groups], dtype=float)
    a = lil_matrix((n, len(groups)))
    for j, g in enumerate(groups):
        for i in g:
            a[i, j] = 1
    once = LinearConstraint(a.tocsr(), 0, 1)  # every unit in at most one group
    options = {"time_limit": 60, "mip_rel_gap": MIP_GAP}
    whole = np.ones(len(groups))
    most = milp(-sizes, constraints=once, integrality=whole, bounds=Bounds(0, 1), options=options)
    placed = round(-most.fun) if most.x is not None else 0
    least = [once, LinearConstraint(sizes[None, :], placed, np.inf)]
    found = milp(costs, constraints=least, integrality=whole, bounds=Bounds(0, 1), options=options)
    picked = [groups[j] for j in np.flatnonzero(np.round(found.x) == 1)] if found.x is not None else []
    return picked, most.status == 0 and found.status == 0


def _touching(communities: pd.DataFrame) -> set[tuple[str, str]]:
    codes = list(communities["code"])
    geoms = np.asarray(communities.geometry.values, dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    return {tuple(sorted((codes[a], codes[b]))) for a, b in zip(left, right, strict=True) if a != b}


def _enumerate(c: pd.DataFrame, xy: np.ndarray, touching: set) -> list[tuple[int, ...]]:
    """Step 1: the valid groups grown through near neighbours, each set once."""
    n = len(c)
    tree = shapely.STRtree(shapely.points(xy))
    near: list[list[int]] = []
    for i in range(n):
        found = tree.query(shapely.Point(xy[i]).buffer(REACH_M))
        found = [j for j in found if j != i and np.hypot(*(xy[j] - xy[i])) <= REACH_M]
        near.append(sorted(found, key=lambda j: np.hypot(*(xy[j] - xy[i])))[:NEIGHBOURS])
    ids, members, comm = c["id"].to_numpy(), c["members"].to_numpy(), c["community"].to_numpy()
    seen: set[frozenset] = set()
    groups: list[tuple[int, ...]] = []
    frontier = [(i,) for i in range(n)]
    while frontier and len(groups) < MAX_GROUPS:
        grown = []
        for g in frontier:
            for j in {k for i in g for k in near[i]} - set(g):
                if ids[j] < ids[g[0]]:
                    continue
                h = (*g, j)
                key = frozenset(h)
                if key in seen or len(h) > MAX_UNITS:
                    continue
                seen.add(key)
                if any(tuple(sorted((comm[a], comm[b]))) not in touching for a in h for b in h if comm[a] != comm[b]):
                    continue
                grown.append(h)
                if members[list(h)].sum() >= MEMBERS_NEEDED:
                    groups.append(h)
        frontier = grown
    return groups


def _cost(kinds: np.ndarray, xy: np.ndarray, g: tuple[int, ...]) -> float:
    return float(
        sum(
            np.hypot(*(xy[a] - xy[b])) + (OTHER_KIND_M if kinds[a] != kinds[b] else 0.0)
            for a, b in itertools.combinations(g, 2)
        )
    )


def _describe(c: pd.DataFrame, xy: np.ndarray, g: tuple[int, ...]) -> dict:
    order = sorted(g, key=lambda i: c["id"].iat[i])
    return {
        "units": [c["id"].iat[i] for i in order],
        "names": [c["name"].iat[i] for i in order],
        "kinds": [c["kind"].iat[i] for i in order],
        "communities": sorted({c["community"].iat[i] for i in order}),
        "members": int(sum(c["members"].iat[i] for i in order)),
        "distance_m": round(float(sum(np.hypot(*(xy[a] - xy[b])) for a, b in itertools.combinations(g, 2))), 1),
        "cost": round(_cost(c["kind"].to_numpy(), xy, g), 1),
    }
