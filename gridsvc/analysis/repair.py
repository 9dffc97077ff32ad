"""The baseline a proposal must beat: adopt the governance layer, then repair it greedily.

1. Every building stays in its governance grid (a building without one joins the grid of its
   nearest neighbour that has one); the unified grid keeps the governance grid's code and takes
   the Party grid matched to it (domain.md §5).
2. Party groups are joined: a group split across grids moves whole into the grid holding most of
   its households (with the buildings on the way between its buildings: the proposal's atoms).
3. While a grid is outside the household band, the single move of a boundary atom (a group, or a
   building) to a touching grid that most reduces the households outside the band is made — the
   cheapest by :func:`gridsvc.analysis.objective.weighted_cost` among equals — as long as the grid
   it leaves stays in one piece and keeps a building. It stops when the band holds or no move helps.

It never opens or closes a grid, so it needs no new staff; the proposal is held to its weighted cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from gridsvc.analysis.objective import Candidate, move_weight

MAX_MOVES = 500


def governance_candidates(governance_grids: list[str], pairs: list[tuple[str, str]]) -> list[Candidate]:
    """One candidate per governance grid, with the Party grid matched to it."""
    party_of = {g: p for p, g in pairs}
    return [Candidate(g, party_of.get(g)) for g in governance_grids]


def adopt(buildings: pd.DataFrame, candidates: list[Candidate], xy: np.ndarray) -> np.ndarray:
    """Step 1: each building in its governance grid's candidate; one without joins its nearest housed neighbour's."""
    index = {c.governance: k for k, c in enumerate(candidates)}
    grid = np.array([index.get(g, -1) for g in buildings["governance_grid"].to_numpy(object)], dtype=np.int64)
    placed = np.flatnonzero(grid >= 0)
    if not len(placed):
        return np.zeros(len(buildings), dtype=np.int64)
    for i in np.flatnonzero(grid < 0):
        grid[i] = grid[placed[np.hypot(*(xy[placed] - xy[i]).T).argmin()]]
    return grid


def repair_band(
    grid_of_building: np.ndarray,
    atom: np.ndarray,
    edges: np.ndarray,
    households: np.ndarray,
    lo: int,
    hi: int,
    move_cost,
) -> np.ndarray:
    """Steps 2 and 3 on a layout (candidate per building). ``edges``: building pairs whose cells
    touch; ``move_cost(atom_buildings, k)``: what putting those buildings in candidate k costs."""
    h = np.nan_to_num(np.asarray(households, dtype=float))
    n_atoms = int(atom.max()) + 1
    atom_h = np.bincount(atom, h, n_atoms)
    members = pd.Series(np.arange(len(atom))).groupby(atom).apply(np.asarray).to_dict()
    # step 2: an atom goes whole where most of its households (or, with none, most buildings) are
    weight = move_weight(h)
    where = np.array(
        [np.bincount(grid_of_building[members[a]], weight[members[a]]).argmax() for a in range(n_atoms)],
        dtype=np.int64,
    )
    a_edges = np.unique(np.sort(atom[edges], axis=1), axis=0) if len(edges) else np.zeros((0, 2), dtype=np.int64)
    a_edges = a_edges[a_edges[:, 0] != a_edges[:, 1]]
    K = int(max(grid_of_building.max(), where.max())) + 1
    for _ in range(MAX_MOVES):
        load = np.bincount(where, atom_h, K)
        used = np.bincount(where, minlength=K) > 0
        outside = (np.clip(load - hi, 0, None) + np.clip(lo - load, 0, None)) * used
        if not outside.any():
            break
        best = _best_move(where, a_edges, atom_h, load, used, lo, hi, members, move_cost)
        if best is None:
            break
        where[best[0]] = best[1]
    return where[atom]


def _best_move(where, a_edges, atom_h, load, used, lo, hi, members, move_cost):
    """The (atom, grid) move that most reduces the households outside the band, cheapest among equals."""

    def outside(x: float) -> float:
        return max(0.0, x - hi) + max(0.0, lo - x)

    best, best_key = None, None
    for u, v in np.vstack([a_edges, a_edges[:, ::-1]]) if len(a_edges) else []:
        k, j = where[u], where[v]
        if k == j:
            continue
        gain = outside(load[k]) + outside(load[j]) - outside(load[k] - atom_h[u]) - outside(load[j] + atom_h[u])
        if gain <= 1e-9:
            continue
        key = (-gain, move_cost(members[u], j) - move_cost(members[u], k))
        if best_key is not None and key >= best_key:
            continue
        if not _stays_whole(where, a_edges, u, k):
            continue
        best, best_key = (int(u), int(j)), key
    return best


def _stays_whole(where: np.ndarray, a_edges: np.ndarray, leaving: int, k: int) -> bool:
    """Whether grid k keeps an atom and stays in one piece without atom ``leaving``."""
    mine = np.flatnonzero(where == k)
    rest = mine[mine != leaving]
    if not len(rest):
        return False
    position = {a: i for i, a in enumerate(rest)}
    inside = [(position[a], position[b]) for a, b in a_edges if a in position and b in position]
    if not inside:
        return len(rest) == 1
    i, j = np.array(inside).T
    graph = sparse.coo_array((np.ones(len(i)), (i, j)), shape=(len(rest), len(rest)))
    return connected_components(graph, directed=False)[0] == 1
