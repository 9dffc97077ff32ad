"""The automatic proposal: one unified grid layer for a community, as a mixed-integer programme
solved by HiGHS (``scipy.optimize.milp``).

The community is cut into building cells (:mod:`gridsvc.analysis.cells`); each proposed grid is a
union of cells, so the layout fills the community with no gaps or overlaps and splits no building
(issue (a), (d)). The candidate grids are the live ones: one per governance grid (standing with the
Party grid matched to it, domain.md §5), one per unmatched Party grid, and a few new ones where the
household band needs more grids.

Objective, minimized:

    Σ households moved away from their governance grid + Σ households moved away from their Party grid
    + DISTANCE_WEIGHT · Σ households × metres from their grid's seed (compactness, second to moves)
    + BLOCK_PENALTY · Σ grids reaching into each street block (boundaries follow roads where known)
    + BAND_PENALTY · Σ households above or below the band (zero whenever the band can be met)

subject to: each building in one grid; the buildings of a Party group in one grid (with the
buildings on the way between them when their cells do not touch); each grid's households in the
band (softened by the penalty above, so a community that cannot meet it still gets a layout and the
report says so); every grid contiguous — a single-commodity flow from a root building (Shirabe 2005).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import LinearConstraint, milp

from gridsvc.analysis.cells import Cells, atoms, building_cells, street_blocks

DISTANCE_WEIGHT = 1 / 200  # per household and metre from the grid's seed: compactness, second to moves
BLOCK_PENALTY = 5.0  # per extra grid reaching into a street block: boundaries follow streets
BAND_PENALTY = 1000.0  # per household above or below the band
MIP_GAP = 1e-3
NONRESIDENTIAL_WEIGHT = 0.01  # moving a building without households still costs a little


@dataclass(frozen=True)
class Candidate:
    """A grid the proposal may open: anchored on live grids (their codes) or new."""

    governance: str | None
    party: str | None

    @property
    def anchor(self) -> str | None:
        return self.governance or self.party


@dataclass
class Layout:
    """A proposed layout for one community: candidate grid per building, grid polygons, solver facts."""

    community: str
    candidates: list[Candidate]
    grid_of_building: np.ndarray  # index into candidates, one per building
    geoms: dict[int, shapely.Geometry]  # candidate index -> polygon (opened grids only)
    objective: float = 0.0
    rounds: int = 0
    seconds: float = 0.0
    band_met: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass
class CommunityInput:
    """What the proposal needs for one community (metric CRS).

    ``buildings``: id, geometry (footprint or point), rep_point, households, party_grid,
    governance_grid; ``groups``: building ids that must share a grid (Party groups);
    ``pairs``: matched (party, governance) grids; ``roads``: road centre lines or None.
    """

    community: str
    area: shapely.Geometry
    buildings: pd.DataFrame
    groups: list[list[str]]
    pairs: list[tuple[str, str]]
    party_grids: list[str]
    governance_grids: list[str]
    roads: np.ndarray | None = None


def propose_layout(
    data: CommunityInput, households_min: int = 300, households_max: int = 500, time_limit: float = 60.0
) -> Layout:
    """Solve the proposal for one community; see the module docstring for the programme.

    New grids are added one at a time where a grid holds more households than the band allows,
    seeded at its building farthest from its centre, and the programme solved again.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    b = data.buildings.reset_index(drop=True)
    cells = building_cells(data.area, b.geometry.values, b["rep_point"].to_numpy())
    xy = shapely.get_coordinates(b["rep_point"].to_numpy())
    atom = atoms(b["id"].tolist(), data.groups, cells, xy)
    h = b["households"].fillna(0).to_numpy(float)
    candidates, seeds = _anchored(data, b, xy, h)
    blocks = street_blocks(data.area, data.roads, b["rep_point"].to_numpy())
    rounds, notes = 0, []
    while True:
        roots = atom[_roots(xy, seeds, atom)]
        model = _Model(b, cells, atom, blocks, candidates, seeds, roots, households_min, households_max)
        choice, objective = model.solve(max(1.0, deadline - time.perf_counter()))
        rounds += 1
        grid_of_building = choice[atom]
        households = np.bincount(grid_of_building, h, len(candidates))
        over = np.flatnonzero(households > households_max)
        if not len(over) or time.perf_counter() > deadline or len(candidates) > 2 * len(b):
            break
        k = over[households[over].argmax()]
        mine = np.flatnonzero(grid_of_building == k)
        far = mine[np.hypot(*(xy[mine] - seeds[k]).T).argmax()]
        candidates.append(Candidate(None, None))
        seeds = np.vstack([seeds, xy[far]])
    geoms = {
        int(k): shapely.coverage_union_all(cells.geoms[grid_of_building == k]) for k in np.unique(grid_of_building)
    }
    band_met = all(households_min <= households[k] <= households_max for k in geoms)
    if not band_met:
        notes.append(f"no layout found keeps every grid within {households_min}–{households_max} households")
    return Layout(
        data.community,
        candidates,
        grid_of_building,
        geoms,
        objective,
        rounds,
        time.perf_counter() - started,
        band_met,
        notes,
    )


def _roots(xy: np.ndarray, seeds: np.ndarray, atom: np.ndarray) -> np.ndarray:
    """Each candidate's root building: the one nearest its seed, no two candidates in one atom."""
    taken: set[int] = set()
    roots = []
    for seed in seeds:
        order = np.argsort(np.hypot(*(xy - seed).T))
        root = next(int(i) for i in order if int(atom[i]) not in taken)
        taken.add(int(atom[root]))
        roots.append(root)
    return np.array(roots, dtype=np.int64)


def _anchored(
    data: CommunityInput, b: pd.DataFrame, xy: np.ndarray, h: np.ndarray
) -> tuple[list[Candidate], np.ndarray]:
    """The live grids as candidates, each seeded at the household-weighted centre of its buildings."""
    party_of = {g: p for p, g in data.pairs}
    paired = set(party_of.values())
    candidates = [Candidate(g, party_of.get(g)) for g in data.governance_grids]
    candidates += [Candidate(None, p) for p in data.party_grids if p not in paired]
    gov, party = b["governance_grid"].to_numpy(object), b["party_grid"].to_numpy(object)
    seeds = []
    for c in candidates:
        mine = (
            (gov == c.governance) & (party == c.party)
            if c.governance and c.party
            else ((gov == c.governance) if c.governance else (party == c.party))
        )
        if not mine.any():
            mine = (gov == c.governance) | (party == c.party)
        w = h[mine] + 1
        seeds.append((xy[mine] * w[:, None]).sum(axis=0) / w.sum() if mine.any() else xy.mean(axis=0))
    if not candidates:
        candidates, seeds = [Candidate(None, None)], [xy.mean(axis=0)]
    return candidates, np.array(seeds, dtype=float).reshape(-1, 2)


class _Model:
    """The programme. Columns: x per (atom, candidate) the atom can reach, y per candidate (opened),
    band slacks below/above per candidate, u per (street block, candidate) (the block has a building
    in the candidate)."""

    def __init__(
        self,
        b: pd.DataFrame,
        cells: Cells,
        atom: np.ndarray,
        blocks: np.ndarray,
        candidates: list[Candidate],
        seeds: np.ndarray,
        roots: np.ndarray,
        lo: int,
        hi: int,
    ):
        self.cells, self.atom, self.neighbours = cells, atom, cells.neighbours()
        self.n_atoms, self.n_cand = int(atom.max()) + 1, len(candidates)
        h = b["households"].fillna(0).to_numpy(float)
        gov, party = b["governance_grid"].to_numpy(object), b["party_grid"].to_numpy(object)
        xy = shapely.get_coordinates(b["rep_point"].to_numpy())
        reach = self._reachable(gov, party, candidates)
        self.pair_a, self.pair_k = np.nonzero(reach)
        self.col = {(a, k): i for i, (a, k) in enumerate(zip(self.pair_a, self.pair_k, strict=True))}
        cost = self._cost(h, gov, party, xy, candidates, seeds)[self.pair_a, self.pair_k]
        n_x, K = len(self.pair_a), self.n_cand
        blk_a, blk_k = self._block_pairs(blocks)
        self.block_col = {(blk, k): i for i, (blk, k) in enumerate(zip(blk_a, blk_k, strict=True))}
        self.y0, self.lo0, self.hi0, self.u0 = n_x, n_x + K, n_x + 2 * K, n_x + 3 * K
        self.f0 = self.u0 + len(blk_a)
        self.arcs = self._arcs()  # candidate, from cell, to cell
        n = self.f0 + len(self.arcs)
        self.c = np.concatenate(
            [
                cost,
                np.zeros(K),
                np.full(2 * K, BAND_PENALTY),
                np.full(len(blk_a), BLOCK_PENALTY),
                np.zeros(len(self.arcs)),
            ]
        )
        self.integrality = np.concatenate([np.ones(n_x + K), np.zeros(n - n_x - K)])
        self.upper = np.concatenate(
            [np.ones(n_x + K), np.full(2 * K, np.inf), np.ones(len(blk_a)), np.full(len(self.arcs), np.inf)]
        )
        self.rows: list[sparse.csr_array] = []
        self.bounds: list[tuple[np.ndarray, np.ndarray]] = []
        self._constraints(np.bincount(atom, h, self.n_atoms), candidates, lo, hi)
        self._contiguity(roots)

    def _reachable(self, gov, party, candidates: list[Candidate]) -> np.ndarray:
        """Candidates each atom may join: those of its own buildings' grids and its neighbours', and new ones."""
        own = np.zeros((self.n_atoms, self.n_cand), dtype=bool)
        for k, c in enumerate(candidates):
            hit = np.ones(len(gov), dtype=bool) if c.anchor is None else (gov == c.governance) | (party == c.party)
            own[:, k] = np.bincount(self.atom, hit, self.n_atoms) > 0
        near = own.copy()
        a, b = self.atom[self.cells.edges[:, 0]], self.atom[self.cells.edges[:, 1]]
        np.logical_or.at(near, a, own[b])
        np.logical_or.at(near, b, own[a])
        return near

    def _cost(self, h, gov, party, xy, candidates, seeds) -> np.ndarray:
        """Per atom and candidate: households moved off either live grid, plus the distance term."""
        weight = np.where(h > 0, h, NONRESIDENTIAL_WEIGHT)
        cost = np.zeros((self.n_atoms, self.n_cand))
        for k, c in enumerate(candidates):
            moved = weight * ((gov != c.governance) | pd.isna(gov)) + weight * ((party != c.party) | pd.isna(party))
            far = DISTANCE_WEIGHT * (weight + NONRESIDENTIAL_WEIGHT) * np.hypot(*(xy - seeds[k]).T)
            cost[:, k] = np.bincount(self.atom, moved + far, self.n_atoms)
        return cost

    def _block_pairs(self, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(block, candidate) pairs some building of the block could join; keeps the (block, atom)
        pairs for the block constraints."""
        self.block_atoms = sorted({(blk, a) for blk, a in zip(blocks, self.atom, strict=True) if blk >= 0})
        pairs = {(blk, k) for blk, a in self.block_atoms for k in self.pair_k[self.pair_a == a]}
        ordered = sorted(pairs)
        return (np.array([p[0] for p in ordered], dtype=np.int64), np.array([p[1] for p in ordered], dtype=np.int64))

    def _add(self, rows, cols, vals, lower, upper) -> None:
        self.rows.append(sparse.csr_array((vals, (rows, cols)), shape=(len(lower), len(self.c))))
        self.bounds.append((np.asarray(lower, float), np.asarray(upper, float)))

    def _constraints(self, households: np.ndarray, candidates: list[Candidate], lo: int, hi: int) -> None:
        n_x, K, A = len(self.pair_a), self.n_cand, self.n_atoms
        x = np.arange(n_x)
        self._add(self.pair_a, x, np.ones(n_x), np.ones(A), np.ones(A))  # each atom in one grid
        self._add(
            np.tile(x, 2),
            np.concatenate([x, self.y0 + self.pair_k]),  # only in an opened grid
            np.concatenate([np.ones(n_x), -np.ones(n_x)]),
            np.full(n_x, -np.inf),
            np.zeros(n_x),
        )
        k = np.arange(K)
        for bound, slack, sign in ((lo, self.lo0, 1.0), (hi, self.hi0, -1.0)):  # the band, softened
            self._add(
                np.concatenate([self.pair_k, k, k]),
                np.concatenate([x, self.y0 + k, slack + k]),
                np.concatenate([households[self.pair_a], np.full(K, -float(bound)), np.full(K, sign)]),
                np.zeros(K) if sign > 0 else np.full(K, -np.inf),
                np.full(K, np.inf) if sign > 0 else np.zeros(K),
            )
        rows, cols, vals = [], [], []  # a block has a building in k => u[block, k] = 1
        for blk, a in self.block_atoms:
            for kk in self.pair_k[self.pair_a == a]:
                r = len(rows) // 2
                rows += [r, r]
                cols += [self.col[(a, kk)], self.u0 + self.block_col[(blk, kk)]]
                vals += [1.0, -1.0]
        if rows:
            n = len(rows) // 2
            self._add(rows, cols, vals, np.full(n, -np.inf), np.zeros(n))
        new = [i for i, c in enumerate(candidates) if c.anchor is None]
        for k0, k1 in zip(new, new[1:], strict=False):  # new grids open in order
            self._add([0, 0], [self.y0 + k0, self.y0 + k1], [1.0, -1.0], [0.0], [np.inf])

    def _arcs(self) -> np.ndarray:
        """Both directions of every edge between two atoms that can join the same candidate."""
        a, b = self.atom[self.cells.edges[:, 0]], self.atom[self.cells.edges[:, 1]]
        keep = a != b
        pairs = np.unique(np.column_stack([np.minimum(a, b), np.maximum(a, b)])[keep], axis=0)
        both = np.vstack([pairs, pairs[:, ::-1]])
        out = [
            np.column_stack([np.full(len(both), k), both])[[(u, k) in self.col and (v, k) in self.col for u, v in both]]
            for k in range(self.n_cand)
        ]
        return np.vstack(out).astype(np.int64)

    def _contiguity(self, roots: np.ndarray) -> None:
        """Each grid connected (single-commodity flow, Shirabe 2005): the grid's root atom sends one
        unit to every other atom of the grid, along edges between atoms of the grid only."""
        k, src, dst = self.arcs.T
        f = self.f0 + np.arange(len(self.arcs))
        capacity = np.bincount(self.pair_k, minlength=self.n_cand).astype(float)
        x_src = np.array([self.col[(u, kk)] for u, kk in zip(src, k, strict=True)], dtype=np.int64)
        x_dst = np.array([self.col[(v, kk)] for v, kk in zip(dst, k, strict=True)], dtype=np.int64)
        r = np.arange(len(f))
        for x_end in (x_src, x_dst):  # flow only between atoms of the grid
            self._add(
                np.tile(r, 2),
                np.concatenate([f, x_end]),
                np.concatenate([np.ones(len(f)), -capacity[k]]),
                np.full(len(f), -np.inf),
                np.zeros(len(f)),
            )
        sink = np.array([a != roots[kk] for a, kk in zip(self.pair_a, self.pair_k, strict=True)])
        row = np.full(len(self.pair_a), -1)
        row[sink] = np.arange(sink.sum())
        into, out_of = row[x_dst], row[x_src]
        rows = np.concatenate([into[into >= 0], out_of[out_of >= 0], row[sink]])
        cols = np.concatenate([f[into >= 0], f[out_of >= 0], np.flatnonzero(sink)])
        vals = np.concatenate([np.ones((into >= 0).sum()), -np.ones((out_of >= 0).sum()), -np.ones(sink.sum())])
        self._add(rows, cols, vals, np.zeros(sink.sum()), np.zeros(sink.sum()))  # inflow - outflow = x
        for kk, root in enumerate(roots):  # the root is in the grid whenever the grid is opened
            self._add([0, 0], [self.col[(root, kk)], self.y0 + kk], [1.0, -1.0], [0.0], [0.0])

    def solve(self, time_limit: float) -> tuple[np.ndarray, float]:
        matrix = sparse.vstack(self.rows).tocsr()
        lower = np.concatenate([b[0] for b in self.bounds])
        upper = np.concatenate([b[1] for b in self.bounds])
        result = milp(
            self.c,
            constraints=LinearConstraint(matrix, lower, upper),
            integrality=self.integrality,
            bounds=(np.zeros(len(self.c)), self.upper),
            options={"time_limit": time_limit, "mip_rel_gap": MIP_GAP},
        )
        if result.x is None:
            raise RuntimeError(f"the proposal programme found no layout: {result.message}")
        chosen = result.x[: len(self.pair_a)] > 0.5
        choice = np.zeros(self.n_atoms, dtype=np.int64)
        choice[self.pair_a[chosen]] = self.pair_k[chosen]
        return choice, float(result.fun)
