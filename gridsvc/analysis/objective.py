"""What planners value in a unified layout, as one number: the proposal minimizes it, the greedy
repair (:mod:`gridsvc.analysis.repair`) is held to it, ``plan scores`` reports it.

    weighted cost = GOVERNANCE · households moved off their governance grid
                  + PARTY · households moved off their Party grid
                  + GRID · (grids opened + grids closed)        (each grid needs a leader and a worker)
                  + BAND · households above or below the band   (zero whenever the band can be met)
                  + BOUNDARY · metres of boundary between grids beyond today's governance grids'
                                                                (compactness; default 0, see below)

Governance moves weigh more (default 2 : 1): the governance grid is the one residents and grid
workers know and the one staff are assigned to. A grid is *opened* when the layout holds a grid that
is not a governance grid today, and *closed* when a governance grid takes no building; its cost
defaults to moving 100 households. A building without households still costs a little to move
(``NONRESIDENTIAL``), so nothing moves for no reason.

A yardstick: households moved off governance plus off Party can never be below today's mismatch
between the two layers (the households whose Party grid is not matched to their governance grid,
domain.md §5): whatever one layout does, each such household leaves one of its two grids.

Compactness as a price: BOUNDARY per metre of boundary drawn between the layout's grids, counted
from today's governance grids' (so a layout that redraws nothing costs nothing, and one rounder than
today's saves). At the default 0 compactness only chooses among layouts of equal cost (the proposal
prefers the rounder one, :mod:`gridsvc.analysis.proposal`); above 0 a planner buys rounder grids with
moved households. On the demo district (``python -m benchmarks.plans --boundary-weight 1``): at 1
per metre the proposal is at least 0.9× as compact as today's governance grids in 6 of 12 communities
(4 at 0) and moves up to 58 more households off governance than at 0 (320199001002: 227 instead of
169, for a boundary 112 m shorter, shorter than today's); 8 of the 12 keep the layout they have at 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

NONRESIDENTIAL = 0.01  # the weight of moving a building without households


@dataclass(frozen=True)
class Weights:
    governance: float = 2.0  # per household moved off its governance grid
    party: float = 1.0  # per household moved off its Party grid
    grid: float = 100.0  # per grid opened or closed
    band: float = 1000.0  # per household above or below the band
    boundary: float = 0.0  # per metre of boundary between grids beyond today's governance grids'

    def total(self, governance: float, party: float, grids: int, band_excess: float, boundary: float) -> float:
        """The weighted cost of households moved off each layer, grids opened or closed, households
        outside the band and metres of boundary beyond today's (:func:`weighted_cost` prices the moves
        per building with :func:`placement_costs` instead, so a building without households counts).

        >>> Weights().total(governance=10, party=5, grids=1, band_excess=0, boundary=120.0)
        125.0
        >>> Weights(boundary=0.5).total(governance=0, party=0, grids=0, band_excess=0, boundary=-40.0)
        -20.0
        """
        moved = self.governance * governance + self.party * party
        return moved + self.grid * grids + self.band * band_excess + self.boundary * boundary


@dataclass(frozen=True)
class Candidate:
    """A grid a layout may hold: anchored on live grids (their codes) or new."""

    governance: str | None
    party: str | None

    @property
    def anchor(self) -> str | None:
        return self.governance or self.party


def move_weight(households: np.ndarray) -> np.ndarray:
    """What moving each building weighs: its households, or a little when it has none."""
    h = np.nan_to_num(np.asarray(households, dtype=float))
    return np.where(h > 0, h, NONRESIDENTIAL)


def off_grids(buildings: pd.DataFrame, candidates: list[Candidate]) -> tuple[np.ndarray, np.ndarray]:
    """(building, candidate) tables: whether putting the building in the candidate takes it off its
    governance grid, and off its Party grid (a building without one is off it anywhere)."""
    gov, party = buildings["governance_grid"].to_numpy(object), buildings["party_grid"].to_numpy(object)
    off_gov = np.column_stack([(gov != c.governance) | pd.isna(gov) for c in candidates])
    off_party = np.column_stack([(party != c.party) | pd.isna(party) for c in candidates])
    return off_gov, off_party


def placement_costs(buildings: pd.DataFrame, candidates: list[Candidate], weights: Weights) -> np.ndarray:
    """(building, candidate) table: the moves part of the weighted cost of putting the building there."""
    off_gov, off_party = off_grids(buildings, candidates)
    weight = move_weight(buildings["households"].to_numpy(float))[:, None]
    return weight * (weights.governance * off_gov + weights.party * off_party)


def move_cost(buildings: pd.DataFrame, candidates: list[Candidate], weights: Weights):
    """``cost(members, k)``: the moves part of the weighted cost of putting the buildings at
    positions ``members`` into candidate k."""
    table = placement_costs(buildings, candidates, weights)
    return lambda members, k: float(table[members, k].sum())


def moves(buildings: pd.DataFrame, grid_of_building: np.ndarray, candidates: list[Candidate]) -> dict[str, float]:
    """Households moved off their governance grid and off their Party grid by a layout."""
    h = np.nan_to_num(buildings["households"].to_numpy(float))
    rows = np.arange(len(grid_of_building))
    off_gov, off_party = (off[rows, grid_of_building] for off in off_grids(buildings, candidates))
    return {"governance": float(h[off_gov].sum()), "party": float(h[off_party].sum())}


def opened_closed(grid_of_building: np.ndarray, candidates: list[Candidate]) -> tuple[int, int]:
    """Grids a layout opens (not a governance grid today) and closes (governance grids left empty)."""
    used = set(np.unique(grid_of_building).tolist())
    opened = sum(1 for k in used if candidates[k].governance is None)
    closed = sum(1 for k, c in enumerate(candidates) if c.governance is not None and k not in used)
    return opened, closed


def band_excess(households: np.ndarray, grid_of_building: np.ndarray, lo: int, hi: int) -> float:
    """Households above or below the band, summed over the layout's grids."""
    per_grid = pd.Series(np.nan_to_num(households)).groupby(grid_of_building).sum().to_numpy()
    return float(np.clip(per_grid - hi, 0, None).sum() + np.clip(lo - per_grid, 0, None).sum())


def inner_boundary(geoms, area: shapely.Geometry) -> float:
    """Metres of boundary between the polygons of a layout that tiles ``area``: half of what their
    perimeters add up to beyond the area's own (the edges two grids share count once). Measured
    against the area, not the polygons' union, so seams a few millimetres apart (a round trip through
    the stored CRS) add nothing.

    >>> import shapely
    >>> inner_boundary([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)], shapely.box(0, 0, 20, 10))
    10.0
    """
    lengths = shapely.length(np.asarray([g for g in geoms if g is not None], dtype=object))
    return round(float((lengths.sum() - shapely.length(area)) / 2), 6)


def weighted_cost(
    buildings: pd.DataFrame,
    grid_of_building: np.ndarray,
    candidates: list[Candidate],
    lo: int,
    hi: int,
    weights: Weights = Weights(),  # noqa: B008 - frozen
    *,
    boundary: float,
) -> dict[str, float]:
    """The weighted cost of a layout (see the module docstring) with its parts: households moved off
    governance and off Party, grids opened and closed, households outside the band, and ``boundary``,
    the metres of boundary between its grids beyond today's governance grids'."""
    placed = placement_costs(buildings, candidates, weights)[np.arange(len(grid_of_building)), grid_of_building]
    opened, closed = opened_closed(grid_of_building, candidates)
    excess = band_excess(buildings["households"].to_numpy(float), grid_of_building, lo, hi)
    total = float(placed.sum()) + weights.total(0, 0, opened + closed, excess, boundary)
    return moves(buildings, grid_of_building, candidates) | {
        "opened": opened,
        "closed": closed,
        "band_excess": excess,
        "boundary": boundary,
        "cost": total,
    }


def polsby_popper(geoms) -> float:
    """Mean 4πA/P² of the polygons: 1 for a circle, about 0.785 for a square, small for a ragged shape.

    >>> round(polsby_popper([shapely.box(0, 0, 10, 10)]), 3)
    0.785
    """
    geoms = np.asarray(list(geoms), dtype=object)
    if not len(geoms):
        return float("nan")
    return float(np.mean(4 * np.pi * shapely.area(geoms) / shapely.length(geoms) ** 2))
