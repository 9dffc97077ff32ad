"""What planners value in a unified layout, as one number: the proposal minimizes it, the greedy
repair (:mod:`gridsvc.analysis.repair`) is held to it, ``plan scores`` reports it.

    weighted cost = GOVERNANCE · households moved off their governance grid
                  + PARTY · households moved off their Party grid
                  + GRID · (grids opened + grids closed)        (each grid needs a leader and a worker)
                  + BAND · households above or below the band   (zero whenever the band can be met)

Governance moves weigh more (default 2 : 1): the governance grid is the one residents and grid
workers know and the one staff are assigned to. A grid is *opened* when the layout holds a grid that
is not a governance grid today, and *closed* when a governance grid takes no building; its cost
defaults to moving 100 households. A building without households still costs a little to move
(``NONRESIDENTIAL``), so nothing moves for no reason.

A yardstick: households moved off governance plus off Party can never be below today's mismatch
between the two layers (the households whose Party grid is not matched to their governance grid,
domain.md §5): whatever one layout does, each such household leaves one of its two grids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NONRESIDENTIAL = 0.01  # the weight of moving a building without households


@dataclass(frozen=True)
class Weights:
    governance: float = 2.0  # per household moved off its governance grid
    party: float = 1.0  # per household moved off its Party grid
    grid: float = 100.0  # per grid opened or closed
    band: float = 1000.0  # per household above or below the band


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


def weighted_cost(
    buildings: pd.DataFrame,
    grid_of_building: np.ndarray,
    candidates: list[Candidate],
    lo: int,
    hi: int,
    weights: Weights = Weights(),  # noqa: B008 - frozen
) -> dict[str, float]:
    """The weighted cost of a layout (see the module docstring) with its parts: households moved off
    governance and off Party, grids opened and closed, households outside the band."""
    placed = placement_costs(buildings, candidates, weights)[np.arange(len(grid_of_building)), grid_of_building]
    opened, closed = opened_closed(grid_of_building, candidates)
    excess = band_excess(buildings["households"].to_numpy(float), grid_of_building, lo, hi)
    total = float(placed.sum()) + weights.grid * (opened + closed) + weights.band * excess
    return moves(buildings, grid_of_building, candidates) | {
        "opened": opened,
        "closed": closed,
        "band_excess": excess,
        "cost": total,
    }
