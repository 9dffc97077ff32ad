"""The proposal's mixed-integer programme (see :mod:`gridsvc.analysis.proposal` for what it minimizes
and under which rules), built as sparse rows for HiGHS (``scipy.optimize.milp``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import LinearConstraint, milp

from gridsvc.analysis.cells import Cells
from gridsvc.analysis.objective import NONRESIDENTIAL, Candidate, Weights, move_weight, placement_costs

DISTANCE_WEIGHT = 1 / 200  # per household and metre from the grid's seed: compactness, second to moves
BLOCK_PENALTY = 5.0  # per extra grid reaching into a street block: boundaries follow streets
MIP_GAP = 1e-3
PERIMETER_WEIGHT = 0.2  # per metre of boundary drawn between two grids: compactness, beside moves
# the same when the weighted cost is held to the greedy repair's: the cap keeps moves in check, so
# compactness may weigh more (on the demo district: never less compact than the repair, 12 of 12)
PERIMETER_WEIGHT_HELD = 20.0


class Model:
    """The programme. Columns: x per (atom, candidate) the atom can reach, y per candidate (opened),
    band slacks below/above per candidate, u per (street block, candidate) (the block has a building
    in the candidate). ``baseline``: a candidate per atom that stays reachable (the greedy repair's,
    which may move a house into a grid two houses away)."""

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
        weights: Weights,
        cost_cap: float | None = None,
        baseline: np.ndarray | None = None,
    ):
        self.cells, self.atom, self.neighbours = cells, atom, cells.neighbours()
        self.n_atoms, self.n_cand = int(atom.max()) + 1, len(candidates)
        h = b["households"].fillna(0).to_numpy(float)
        gov, party = b["governance_grid"].to_numpy(object), b["party_grid"].to_numpy(object)
        xy = shapely.get_coordinates(b["rep_point"].to_numpy())
        reach = self._reachable(gov, party, candidates)
        if baseline is not None:  # the layout the cost is held to stays one the programme can hold
            reach[np.arange(self.n_atoms), baseline] = True
        self.pair_a, self.pair_k = np.nonzero(reach)
        self.col = {(a, k): i for i, (a, k) in enumerate(zip(self.pair_a, self.pair_k, strict=True))}
        placed, far = self._cost(b, xy, candidates, seeds, weights)
        placed, cost = placed[self.pair_a, self.pair_k], (placed + far)[self.pair_a, self.pair_k]
        n_x, K = len(self.pair_a), self.n_cand
        blk_a, blk_k = self._block_pairs(blocks)
        self.block_col = {(blk, k): i for i, (blk, k) in enumerate(zip(blk_a, blk_k, strict=True))}
        self.y0, self.lo0, self.hi0, self.u0 = n_x, n_x + K, n_x + 2 * K, n_x + 3 * K
        self.f0 = self.u0 + len(blk_a)
        self.arcs = self._arcs()  # candidate, from cell, to cell
        self.z0 = self.f0 + len(self.arcs)
        # per border: its length, and the metres of boundary the weighted cost counts (Cells.cut)
        counted = cells.counted if cells.counted is not None else cells.length
        self.borders, self.border_length, self.counted_length = self._borders(cells.length, counted)
        n = self.z0 + len(self.borders)
        self.c = np.concatenate(
            [
                cost,
                # a governance grid kept saves closing it; any other grid opened costs one
                np.array([-weights.grid if c.governance else weights.grid for c in candidates]),
                np.full(2 * K, weights.band),
                np.full(len(blk_a), BLOCK_PENALTY),
                np.zeros(len(self.arcs)),
                (PERIMETER_WEIGHT if cost_cap is None else PERIMETER_WEIGHT_HELD) * self.border_length,
            ]
        )
        self.integrality = np.concatenate([np.ones(n_x + K), np.zeros(n - n_x - K)])
        self.upper = np.concatenate(
            [
                np.ones(n_x + K),
                np.full(2 * K, np.inf),
                np.ones(len(blk_a)),
                np.full(len(self.arcs), np.inf),
                np.ones(len(self.borders)),
            ]
        )
        self.rows: list[sparse.csr_array] = []
        self.bounds: list[tuple[np.ndarray, np.ndarray]] = []
        self._constraints(np.bincount(atom, h, self.n_atoms), candidates, lo, hi)
        self._contiguity(roots)
        self._cut_borders()
        if cost_cap is not None:
            self._cap(placed, candidates, weights, cost_cap)

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

    def _cost(self, b: pd.DataFrame, xy, candidates, seeds, weights: Weights) -> tuple[np.ndarray, np.ndarray]:
        """Per atom and candidate: the moves part of the weighted cost, and the distance term."""
        placed = placement_costs(b, candidates, weights)
        weight = move_weight(b["households"].to_numpy(float))
        moves, far = np.zeros((self.n_atoms, self.n_cand)), np.zeros((self.n_atoms, self.n_cand))
        for k in range(len(candidates)):
            moves[:, k] = np.bincount(self.atom, placed[:, k], self.n_atoms)
            distance = DISTANCE_WEIGHT * (weight + NONRESIDENTIAL) * np.hypot(*(xy - seeds[k]).T)
            far[:, k] = np.bincount(self.atom, distance, self.n_atoms)
        return moves, far

    def _cap(self, placed: np.ndarray, candidates: list[Candidate], weights: Weights, cap: float) -> None:
        """The weighted cost (objective.weighted_cost) at most ``cap``: the moves part of each x, the
        objective's own terms for grids (y) and households outside the band (slacks), and with a
        boundary weight, the metres of boundary between grids as :meth:`Cells.cut` counts them (z;
        today's boundary, a constant, left to ``cap``). A kept governance grid's y saves the cost of
        closing it, so every governance grid's closing is counted on the right-hand side."""
        y_to_slacks = np.arange(self.y0, self.y0 + 3 * self.n_cand)  # y, band slacks below, above
        z = self.z0 + np.arange(len(self.borders)) if weights.boundary else np.zeros(0, dtype=np.int64)
        cols = np.concatenate([np.arange(len(placed)), y_to_slacks, z])
        vals = np.concatenate([placed, self.c[y_to_slacks], weights.boundary * self.counted_length[: len(z)]])
        closing_all = weights.grid * sum(c.governance is not None for c in candidates)
        self._add(np.zeros(len(cols), dtype=np.int64), cols, vals, [-np.inf], [cap - closing_all])

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

    def _borders(self, *lengths: np.ndarray) -> tuple[np.ndarray, ...]:
        """Pairs of touching atoms, and for each of ``lengths`` (per cell edge) the sum over the
        edges between them."""
        a, b = self.atom[self.cells.edges[:, 0]], self.atom[self.cells.edges[:, 1]]
        keep = a != b
        pairs = np.column_stack([np.minimum(a, b), np.maximum(a, b)])[keep]
        if not len(pairs):
            return np.zeros((0, 2), dtype=np.int64), *(np.zeros(0) for _ in lengths)
        unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
        return unique, *(np.bincount(inverse.ravel(), length[keep], len(unique)) for length in lengths)

    def _cut_borders(self) -> None:
        """z[border] = 1 when the two atoms are in different grids: z >= x[a, k] - x[b, k] both ways,
        for every candidate either may join (the drawn boundary's length, a compactness term)."""
        rows, cols, vals = [], [], []
        r = 0
        for z, (a, b) in enumerate(self.borders):
            for k in set(self.pair_k[self.pair_a == a]) | set(self.pair_k[self.pair_a == b]):
                for one, other in ((a, b), (b, a)):
                    if (one, k) not in self.col:
                        continue
                    rows += [r, r] + ([r] if (other, k) in self.col else [])
                    cols += [self.z0 + z, self.col[(one, k)]] + (
                        [self.col[(other, k)]] if (other, k) in self.col else []
                    )
                    vals += [1.0, -1.0] + ([1.0] if (other, k) in self.col else [])
                    r += 1
        if r:
            self._add(rows, cols, vals, np.zeros(r), np.full(r, np.inf))

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
