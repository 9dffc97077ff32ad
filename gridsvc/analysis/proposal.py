"""The automatic proposal: one unified grid layer for a community, as a mixed-integer programme
solved by HiGHS (``scipy.optimize.milp``).

The community is cut into building cells (:mod:`gridsvc.analysis.cells`); each proposed grid is a
union of cells, so the layout fills the community with no gaps or overlaps and splits no building
(issue (a), (d)). The candidate grids are the live ones: one per governance grid (standing with the
Party grid matched to it, domain.md §5), one per unmatched Party grid, and a few new ones where the
household band needs more grids.

Objective, minimized: the weighted cost of :mod:`gridsvc.analysis.objective` (households moved off
their governance grid at twice the weight of those moved off their Party grid, a cost per grid opened
or closed, households outside the band, and, with a boundary weight, the boundary drawn beyond
today's: :func:`_best_layout` says how the programme counts it), plus

    DISTANCE_WEIGHT · Σ households × metres from their grid's seed (compactness, second to moves)
    + PERIMETER_WEIGHT · metres of boundary between grids (cut cell edges: ragged boundaries cost;
      PERIMETER_WEIGHT_HELD when the cost is held to the greedy repair's, below)
    + BLOCK_PENALTY · Σ grids reaching into each street block (boundaries follow roads where known)

subject to: the weighted cost no higher than the greedy repair's (:mod:`gridsvc.analysis.repair`);
each building in one grid; the buildings of a Party group in one grid (with the
buildings on the way between them when their cells do not touch); each grid's households in the
band (softened by the penalty above, so a community that cannot meet it still gets a layout and the
report says so); every grid contiguous — a single-commodity flow from a root building (Shirabe 2005).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.boundaries import base_tiles, clean_parts, grid_shapes, live_lines, tiled_boundary
from gridsvc.analysis.cells import Cells, atoms, building_cells, overlapping, street_blocks
from gridsvc.analysis.objective import Candidate, Weights, inner_boundary, move_cost, weighted_cost
from gridsvc.analysis.proposal_model import Model
from gridsvc.analysis.repair import adopt, governance_candidates, repair_band
from gridsvc.analysis.scene import Thresholds
from gridsvc.analysis.straighten import pulled_taut

CAP_SLACK = 1e-3  # the programme's weighted cost may exceed the greedy repair's by at most this
BAND_UNMET = "没有找到使每个网格户数都在 {lo}–{hi} 户之间的方案，部分网格户数超出范围"
TIGHTENINGS = 3  # solves with the cap tightened when the drawn boundary costs more than counted
BASELINE_TAKEN = (
    "规划求解未找到代价不高于贪心修补（采用治理网格后逐栋调整）的方案（时限内未解出或无解），方案采用贪心修补的结果"
)


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
    cost: dict = field(default_factory=dict)  # objective.weighted_cost of the layout
    baseline: dict = field(default_factory=dict)  # the same of the greedy repair (analysis.repair)


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
    governance_geoms: dict[str, shapely.Geometry] = field(default_factory=dict)  # live polygons, metric
    split_fraction: float = Thresholds.split_fraction  # rule 5: no layout may split a building so


def propose_layout(
    data: CommunityInput,
    households_min: int = 300,
    households_max: int = 500,
    time_limit: float = 60.0,
    weights: Weights = Weights(),  # noqa: B008 - frozen
) -> Layout:
    """Solve the proposal for one community; see the module docstring for the programme.

    New grids are added one at a time where a grid holds more households than the band allows,
    seeded at its building farthest from its centre, and the programme solved again. The greedy
    repair (:mod:`gridsvc.analysis.repair`) is worked out first and its weighted cost is a constraint
    of the programme, so the programme spends its compactness terms only on layouts that cost no more
    than the baseline (before, it traded moves for compactness and then lost to the baseline's
    ragged layout). Should the programme still find nothing as good within its time limit, the
    baseline is the layout and a note says so. Grid polygons keep the live governance boundaries
    wherever no building moves (:mod:`gridsvc.analysis.boundaries`).
    """
    started = time.perf_counter()
    deadline = started + time_limit
    b = data.buildings.reset_index(drop=True)
    cells = building_cells(data.area, b.geometry.values, b["rep_point"].to_numpy(), data.roads)
    xy = shapely.get_coordinates(b["rep_point"].to_numpy())
    ids = b["id"].tolist()
    atom = atoms(ids, data.groups + overlapping(ids, b.geometry.values, data.split_fraction), cells, xy)
    h = b["households"].fillna(0).to_numpy(float)
    candidates, seeds = _anchored(data, b, xy, h)
    blocks = street_blocks(data.area, data.roads, b["rep_point"].to_numpy())
    notes: list[str] = []
    today = today_boundary(data)
    cells.count_live_as_drawn(b["governance_grid"].to_numpy(object), today)
    baseline = greedy(data, b, candidates, cells, atom, xy, households_min, households_max, weights, today)
    band = (households_min, households_max)
    setup = _Setup(data, b, cells, atom, xy, h, blocks, band, weights, deadline, baseline, today)
    found = _best_layout(setup, candidates, seeds)
    candidates, grid_of_building, geoms, cost, objective, rounds = found.layout
    notes += found.notes
    if baseline is not None and baseline[1]["cost"] < cost["cost"] - 1e-6:
        grid_of_building, cost, geoms = baseline
        notes.append(BASELINE_TAKEN)
    households = np.bincount(grid_of_building, h, len(candidates))
    band_met = all(households_min <= households[k] <= households_max for k in geoms)
    if not band_met:
        notes.append(BAND_UNMET.format(lo=households_min, hi=households_max))
    layout = Layout(data.community, candidates, grid_of_building, geoms, objective, rounds, 0.0, band_met, notes)
    layout.cost, layout.baseline = cost, baseline[1] if baseline else {}
    layout.seconds = time.perf_counter() - started
    return layout


@dataclass
class _Setup:
    """What every solve of one community's programme shares."""

    data: CommunityInput
    b: pd.DataFrame
    cells: Cells
    atom: np.ndarray
    xy: np.ndarray
    h: np.ndarray
    blocks: np.ndarray
    band: tuple[int, int]
    weights: Weights
    deadline: float
    baseline: tuple | None
    today: float  # metres of boundary between today's governance grids


@dataclass
class _Found:
    layout: tuple  # candidates, candidate per building, polygons, weighted cost, objective, rounds
    notes: list[str]


def _best_layout(s: _Setup, candidates: list[Candidate], seeds: np.ndarray) -> _Found:
    """The programme's cheapest layout by the weighted cost, held to the baseline's cost.

    The programme counts the boundary as cell edges (:meth:`Cells.cut`), the weighted cost as the
    polygons drawn, which keep live lines where no building moves. With a boundary weight the two
    can disagree, so: one solve without it (compactness only breaks ties, as at weight 0), then
    solves with it, each held below the last layout as the programme counts it by as much as that
    layout cost more than the baseline; the cheapest layout drawn is taken."""
    plain = replace(s.weights, boundary=0.0)
    tries = [plain] + [s.weights] * TIGHTENINGS if s.weights.boundary else [s.weights]
    held = s.baseline is not None
    if held:
        base_cost, base_boundary = s.baseline[1]["cost"], s.baseline[1]["boundary"]
        moves_part = base_cost - s.weights.boundary * base_boundary + CAP_SLACK
        cap = moves_part + s.weights.boundary * s.cells.cut(s.baseline[0])
    best: _Found | None = None
    for weights in tries:
        tried, notes = list(candidates), []
        this_cap = (cap if weights.boundary else moves_part) if held else None
        grid_of_building, objective, rounds = _programme(s, weights, tried, seeds, this_cap, notes)
        geoms = layout_shapes(s.data, s.cells, s.b, grid_of_building, tried)
        beyond = inner_boundary(geoms.values(), s.data.area) - s.today
        cost = weighted_cost(s.b, grid_of_building, tried, *s.band, s.weights, boundary=beyond)
        if best is None or cost["cost"] < best.layout[3]["cost"] - 1e-6:
            best = _Found((tried, grid_of_building, geoms, cost, objective, rounds), notes)
        if not held or time.perf_counter() > s.deadline:
            break
        if weights.boundary:
            if best.layout[3]["cost"] <= base_cost + 1e-6:
                break
            counted = cost["cost"] + weights.boundary * (s.cells.cut(grid_of_building) - beyond)
            cap = min(cap, counted) - (cost["cost"] - base_cost)
    return best


def _programme(s: _Setup, weights: Weights, candidates: list[Candidate], seeds: np.ndarray, cap, notes: list[str]):
    """Solve the programme, adding a new grid where one holds too many households and solving again;
    ``candidates`` grows in place. Returns (candidate per building, objective, rounds)."""
    rounds, (lo, hi) = 0, s.band
    held = None
    if s.baseline is not None:  # the repair's candidate per atom (an atom's buildings share one)
        held = np.zeros(int(s.atom.max()) + 1, dtype=np.int64)
        held[s.atom] = s.baseline[0]
    while True:
        roots = s.atom[_roots(s.xy, seeds, s.atom, None if held is None else held[s.atom])]
        model = Model(s.b, s.cells, s.atom, s.blocks, candidates, seeds, roots, lo, hi, weights, cap, held)
        choice, objective = _solved(model, max(1.0, s.deadline - time.perf_counter()), s.baseline, s.atom, notes)
        rounds += 1
        grid_of_building = choice[s.atom]
        households = np.bincount(grid_of_building, s.h, len(candidates))
        over = np.flatnonzero(households > hi)
        if not len(over) or time.perf_counter() > s.deadline or len(candidates) > 2 * len(s.b):
            return grid_of_building, objective, rounds
        k = over[households[over].argmax()]
        mine = np.flatnonzero(grid_of_building == k)
        far = mine[np.hypot(*(s.xy[mine] - seeds[k]).T).argmax()]
        candidates.append(Candidate(None, None))
        seeds = np.vstack([seeds, s.xy[far]])


def layout_shapes(data: CommunityInput, cells: Cells, b: pd.DataFrame, grid_of_building, candidates) -> dict:
    """The grids' polygons: the live boundaries kept where no building moves, else unions of cells."""
    geoms = data.governance_geoms and grid_shapes(
        data.area,
        cells.geoms,
        b["rep_point"].to_numpy(),
        grid_of_building,
        candidates,
        data.governance_geoms,
        b.geometry.values,
        data.roads,
        data.split_fraction,
    )
    if geoms:
        return geoms
    unions = {
        int(k): clean_parts(shapely.coverage_union_all(cells.geoms[grid_of_building == k]))
        for k in np.unique(grid_of_building)
    }
    live = live_lines(data.area, base_tiles(data.area, data.governance_geoms).values())
    return pulled_taut(unions, live, b.geometry.values, data.roads)


def today_boundary(data: CommunityInput) -> float:
    """Metres of boundary between today's governance grids within the community (0 without them)."""
    return tiled_boundary(data.area, data.governance_geoms)


def greedy(data, b, candidates, cells, atom, xy, lo, hi, weights, today: float | None = None):
    """The greedy repair (:mod:`gridsvc.analysis.repair`) as (candidate per building, weighted cost,
    polygons), on ``candidates`` whose governance-anchored ones come first, in
    ``data.governance_grids``' order; None without governance grids. ``today``: metres of boundary
    between today's governance grids, when already measured (:func:`today_boundary`)."""
    governance = governance_candidates(data.governance_grids, data.pairs)
    if not governance:
        return None
    assert candidates[: len(governance)] == governance
    start = adopt(b, governance, xy)
    costs = move_cost(b, candidates, weights)
    repaired = repair_band(start, atom, cells.edges, b["households"].to_numpy(float), lo, hi, costs)
    shapes = layout_shapes(data, cells, b, repaired, candidates)
    beyond = inner_boundary(shapes.values(), data.area) - (today_boundary(data) if today is None else today)
    return repaired, weighted_cost(b, repaired, candidates, lo, hi, weights, boundary=beyond), shapes


def _solved(model: Model, seconds: float, baseline, atom: np.ndarray, notes: list[str]) -> tuple[np.ndarray, float]:
    """The programme's candidate per atom and objective; the baseline's (and a note) when the
    programme, held to the baseline's cost, finds no layout in time."""
    try:
        return model.solve(seconds)
    except RuntimeError:
        if baseline is None:
            raise
        notes.append(BASELINE_TAKEN)
        choice = np.zeros(int(atom.max()) + 1, dtype=np.int64)
        choice[atom] = baseline[0]  # an atom's buildings share one candidate
        return choice, float("nan")


def _roots(xy: np.ndarray, seeds: np.ndarray, atom: np.ndarray, held: np.ndarray | None = None) -> np.ndarray:
    """Each candidate's root building: the one nearest its seed, no two candidates in one atom; with
    ``held`` (a candidate per building: the repair's), one the repair keeps in that candidate where
    it keeps any, so that the repair's layout stays one the programme can hold."""
    taken: set[int] = set()
    roots = []
    for k, seed in enumerate(seeds):
        order = np.argsort(np.hypot(*(xy - seed).T))
        kept = held[order] == k if held is not None else np.zeros(0, dtype=bool)
        if kept.any():  # stable: nearest first among the repair's own, then the rest
            order = np.concatenate([order[kept], order[~kept]])
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
