"""Alignment of the two grid layers per community (domain.md §5: 多格合一).

The households of a community's buildings are tabled by (Party-side grid, staff-side grid); a
``unified`` grid stands on both sides as itself. Party grids are matched one-to-one to governance
grids maximizing matched households (the Hungarian method, ``scipy.optimize.linear_sum_assignment``).
``alignment_rate`` = households whose two grids are a matched pair / all households of the community
(a building missing from either layer is unmatched). The *moves* make the Party layer follow the
governance layer: each unmatched building joins the Party grid matched to its governance grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy.optimize import linear_sum_assignment

from gridsvc.analysis.scene import place_names, text

# What a move can disturb, as users read it.
DISTURB_LABEL = {"party_group_split": "党小组被拆分", "building_leader_changes_grid": "楼栋长换网格"}


@dataclass
class Alignment:
    community: str
    matched_households: int
    households: int
    pairs: list[dict] = field(default_factory=list)  # party, governance, households, iou
    unmatched: list[dict] = field(default_factory=list)  # grid, side
    moves: list[dict] = field(default_factory=list)  # building_id, from_grid, to_grid, households, disturbs
    community_name: str | None = None  # names beside the codes: named_alignment

    @property
    def rate(self) -> dict:
        value = self.matched_households / self.households if self.households else None
        return {
            "value": None if value is None else round(value, 6),
            "numerator": self.matched_households,
            "denominator": self.households,
        }

    def as_json(self) -> dict:
        return {
            "community": self.community,
            "community_name": self.community_name,
            "alignment_rate": self.rate,
            "pairs": self.pairs,
            "unmatched": self.unmatched,
            "moves": self.moves,
        }


def best_pairs(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the one-to-one matching with the largest total (the Hungarian method,
    domain.md §5): the one matching behind the alignment rate, the alignment's pairs and the
    households a plan moves.

    >>> [r.tolist() for r in best_pairs(np.array([[90, 10], [20, 80]]))]
    [[0, 1], [0, 1]]
    """
    return linear_sum_assignment(np.asarray(matrix, dtype=float), maximize=True)


def household_table(buildings: pd.DataFrame, a: str, b: str, index=None, columns=None) -> pd.DataFrame:
    """Households per (grid of column ``a``, grid of column ``b``); buildings missing on either side
    left out; ``index``/``columns`` put every grid of a layer in, with 0 where no building is."""
    both = buildings.dropna(subset=[a, b])
    table = both.pivot_table(index=a, columns=b, values="households", aggfunc="sum", fill_value=0)
    if index is not None:
        table = table.reindex(index=index, columns=columns, fill_value=0)
    return table


def match_grids(table: pd.DataFrame) -> list[tuple[str, str]]:
    """Party → governance pairs maximizing the households in matched cells.

    ``table``: households with Party grids as index and governance grids as columns.

    >>> t = pd.DataFrame([[90, 10], [20, 80]], index=["P1", "P2"], columns=["G1", "G2"])
    >>> match_grids(t)
    [('P1', 'G1'), ('P2', 'G2')]
    """
    if table.empty:
        return []
    rows, cols = best_pairs(table.to_numpy(dtype=float))
    return [(table.index[r], table.columns[c]) for r, c in zip(rows, cols, strict=True)]


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    union = shapely.union(a, b).area
    return float(shapely.intersection(a, b).area / union) if union > 0 else 0.0


def align_community(
    community: str,
    buildings: pd.DataFrame,
    grids_m: pd.DataFrame,
    groups: dict[str, list[str]],
    leaders: dict[str, list[str]],
) -> Alignment:
    """Alignment of one community.

    ``buildings``: id, party_grid, governance_grid, households (the community's buildings);
    ``grids_m``: code, layer, geometry (metric CRS) of its current grids;
    ``groups``: building id → Party groups naming it; ``leaders``: building id → its building leaders.
    """
    households = buildings["households"].fillna(0).astype(int)
    total = int(households.sum())
    party = sorted(grids_m.loc[grids_m["layer"].isin(["party", "unified"]), "code"])
    governance = sorted(grids_m.loc[grids_m["layer"].isin(["governance", "unified"]), "code"])
    table = household_table(buildings.assign(households=households), "party_grid", "governance_grid", party, governance)
    pairs = match_grids(table)
    matched = {(p, g) for p, g in pairs}
    in_pair = [(p, g) in matched for p, g in zip(buildings["party_grid"], buildings["governance_grid"], strict=True)]
    geom = dict(zip(grids_m["code"], grids_m.geometry, strict=True))
    result = Alignment(community, int(households[np.array(in_pair, dtype=bool)].sum()), total)
    result.pairs = [
        {"party": p, "governance": g, "households": int(table.at[p, g]), "iou": round(iou(geom[p], geom[g]), 4)}
        for p, g in pairs
    ]
    paired_p, paired_g = {p for p, _ in pairs}, {g for _, g in pairs}
    result.unmatched = [{"grid": p, "side": "party"} for p in party if p not in paired_p] + [
        {"grid": g, "side": "governance"} for g in governance if g not in paired_g
    ]
    result.moves = _moves(buildings, households, in_pair, dict((g, p) for p, g in pairs), groups, leaders)
    return result


def _moves(buildings, households, in_pair, party_for, groups, leaders) -> list[dict]:
    """Each building outside a matched pair, with the Party grid it should join and what that disturbs."""
    target = {b: party_for.get(g) for b, g in zip(buildings["id"], buildings["governance_grid"], strict=True)}
    final = {
        b: (target[b] if not ok else p)
        for b, p, ok in zip(buildings["id"], buildings["party_grid"], in_pair, strict=True)
    }
    moves = []
    for b, p, g, h, ok in zip(
        buildings["id"], buildings["party_grid"], buildings["governance_grid"], households, in_pair, strict=True
    ):
        if ok:
            continue
        disturbs = []
        for group, members in groups.get(b, []):
            if len({final.get(m) for m in members}) > 1:
                disturbs.append({"type": "party_group_split", "party_org_id": group})
        disturbs += [{"type": "building_leader_changes_grid", "staff_id": s} for s in leaders.get(b, [])]
        moves.append(
            {
                "building_id": b,
                "from_grid": None if pd.isna(p) else p,
                "to_grid": target[b],
                "governance_grid": None if pd.isna(g) else g,
                "households": int(h),
                "disturbs": disturbs,
            }
        )
    return moves


def named_alignment(result: Alignment, scene) -> Alignment:
    """``result`` with names beside its codes and ids, for people to read: the community's, each grid's,
    each moved building's (its name or address), each Party group's and each building leader's."""
    grids = dict(zip(scene.grids["code"], scene.grids["name"], strict=True))
    buildings = dict(zip(scene.buildings["id"], place_names(scene.buildings), strict=True))
    orgs = dict(zip(scene.party_orgs["id"], scene.party_orgs["name"], strict=True))
    people = dict(zip(scene.staff["id"], scene.staff["name"], strict=True))
    communities = dict(zip(scene.communities["code"], scene.communities["name"], strict=True))
    result.community_name = communities.get(result.community)
    for p in result.pairs:
        p["party_name"], p["governance_name"] = grids.get(p["party"]), grids.get(p["governance"])
    for u in result.unmatched:
        u["name"] = grids.get(u["grid"])
    for m in result.moves:
        m["building_name"] = buildings.get(m["building_id"], m["building_id"])
        m["from_name"], m["to_name"] = grids.get(m["from_grid"]), grids.get(m["to_grid"])
        for d in m["disturbs"]:
            d["name"] = orgs.get(d["party_org_id"]) if "party_org_id" in d else people.get(d["staff_id"])
    return result


def matched_households(buildings: pd.DataFrame, grids: pd.DataFrame) -> pd.DataFrame:
    """Per community: households in matched pairs, and all households (the alignment_rate's parts).

    ``buildings``: community, party_grid, governance_grid, households; ``grids``: code, layer,
    community_code. One group-by for all communities, then a small matching per community.
    """
    h = buildings["households"].fillna(0).astype(float)
    total = h.groupby(buildings["community"].to_numpy()).sum()
    both = (
        buildings["party_grid"].notna() & buildings["governance_grid"].notna() & buildings["community"].notna()
    ).to_numpy()
    community, communities = pd.factorize(buildings["community"].to_numpy()[both])
    party = pd.factorize(buildings["party_grid"].to_numpy()[both])[0]
    governance = pd.factorize(buildings["governance_grid"].to_numpy()[both])[0]
    order = np.argsort(community, kind="stable")
    community, party, governance, weight = community[order], party[order], governance[order], h.to_numpy()[both][order]
    bounds = np.searchsorted(community, np.arange(len(communities) + 1))
    matched = {}
    for i, code in enumerate(communities):
        s, e = bounds[i], bounds[i + 1]
        rows, r = np.unique(party[s:e], return_inverse=True)
        cols, c = np.unique(governance[s:e], return_inverse=True)
        matrix = np.zeros((len(rows), len(cols)))
        np.add.at(matrix, (r, c), weight[s:e])
        best_r, best_c = best_pairs(matrix)
        matched[code] = float(matrix[best_r, best_c].sum())
    out = pd.DataFrame({"community": text(total.index.to_numpy()), "households": total.to_numpy()})
    out["matched_households"] = out["community"].map(matched).fillna(0.0)
    return out
