"""The generated overlay on building footprints: attributes, communities and two grid layers.

Every gap kind of domain.md §4–5 is planted on purpose and listed in :class:`Plants` so a user
(and the tests) can find it. Party organizations, organizations and staff are in ``organize.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.assignment import assign_to_polygons, representative_points
from gridsvc.demo.layout import Rect, kd_partition

HOUSEHOLDS_PER_GRID = 420
UNIFIED_COMMUNITIES = (0, 6)  # already "one grid": a unified layer only


@dataclass
class Plants:
    """Where the demo planted each kind of gap: kind → list of (area/grid/object code, note)."""

    items: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, kind: str, where: str, note: str) -> None:
        self.items.setdefault(kind, []).append((where, note))


def building_attributes(buildings: gpd.GeoDataFrame, kinds: pd.Series, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Use, floors, units, households, residents and Party members (~7 % of residents)."""
    b = buildings.copy()
    n = len(b)
    use = np.array(b["use"], dtype=object) if "use" in b else np.full(n, None, dtype=object)
    unknown = pd.isna(use) | (use == "other")
    large = (kinds == "large").to_numpy()
    use[unknown & large] = rng.choice(["office", "commercial", "public", "mixed"], size=int((unknown & large).sum()))
    use[unknown & ~large] = np.where(rng.random(int((unknown & ~large).sum())) < 0.9, "residential", "commercial")
    b["use"] = use
    tower = (kinds == "tower").to_numpy()
    floors = pd.array(b["floors"] if "floors" in b else [pd.NA] * n, dtype="Int64")
    missing = np.asarray(pd.isna(floors))
    guess = np.where(tower, rng.choice([11, 18, 24], n), rng.choice([3, 4, 5, 6, 6], n))
    floors[missing] = guess[missing]
    b["floors"] = floors
    residential = use == "residential"
    units = np.where(tower, 2, rng.choice([1, 1, 2], n))
    b["units"] = pd.array(np.where(residential, units, pd.NA), dtype="Int64")
    households = np.asarray(floors, dtype=float) * units * 2 * rng.uniform(0.85, 1.0, n)
    b["households"] = pd.array(np.where(residential, np.round(households), pd.NA), dtype="Int64")
    residents = np.round(np.where(residential, households * rng.uniform(2.3, 2.9, n), 0))
    b["residents"] = pd.array(residents.astype(int), dtype="Int64")
    b["full_members"] = pd.array(rng.binomial(residents.astype(int), 0.064), dtype="Int64")
    b["probationary_members"] = pd.array(rng.binomial(residents.astype(int), 0.006), dtype="Int64")
    return b


def community_of(points: np.ndarray, rects: list[Rect]) -> np.ndarray:
    return assign_to_polygons(points, np.array([shapely.box(*r) for r in rects]))


def grid_layers(
    rect: Rect, index: int, code: str, b: gpd.GeoDataFrame, plants: Plants
) -> list[tuple[str, shapely.Polygon]]:
    """(layer, polygon) for one community: unified, or governance and party drawn differently."""
    points = shapely.get_coordinates(representative_points(b.geometry.values))
    weights = b["households"].fillna(0).to_numpy(dtype=float)
    bounds = shapely.bounds(b.geometry.values)
    k = max(2, round(weights.sum() / HOUSEHOLDS_PER_GRID))
    k_governance = k - 1 if index == 4 else k  # index 4: grids too big for their staff
    governance = [shapely.box(*r) for r in kd_partition(rect, points, weights, k_governance, bounds)]
    if index in UNIFIED_COMMUNITIES:
        return [("unified", g) for g in governance]
    k_party = k + (1 if index % 3 == 1 else 0)
    # Party grids are drawn along other lines than governance grids; in one community (index 7)
    # without regard to buildings, so its boundaries cut through some.
    party = [
        shapely.box(*r)
        for r in kd_partition(
            rect, points, weights, k_party, None if index == 7 else bounds, first_axis=1 if index % 2 else 0
        )
    ]
    governance, party = _plant_spatial(index, code, rect, governance, party, plants)
    return [("governance", g) for g in governance] + [("party", p) for p in party]


def _plant_spatial(index, code, rect, governance, party, plants):
    x0, y0, x1, y1 = rect
    if index == 1:  # a corner of the community belongs to no governance grid
        corner = shapely.box(x0, y1 - 110, x0 + 130, y1)
        governance = [g.difference(corner) if g.intersects(corner) else g for g in governance]
        governance = [g for g in governance if not g.is_empty]
        plants.add("grid_gap_area", code, "治理网格层西北角约1.4万平方米无网格覆盖")
        plants.add("building_no_grid", code, "西北角空白处的楼栋不属于任何治理网格")
    if index == 2:  # one Party grid reaches 25 m into its neighbours
        party[0] = shapely.intersection(party[0].buffer(25, join_style="mitre"), shapely.box(*rect))
        plants.add("grid_overlap", code, "党建网格层第一个网格向相邻网格多划25米")
    if index == 3:  # a governance grid crosses the community boundary
        governance[0] = governance[0].buffer(30, join_style="mitre")
        plants.add("grid_outside_community", code, "治理网格越出社区边界约30米")
    if index % 3 == 1:
        plants.add("household_band", code, "党建网格数多一格，部分网格户数偏少")
    if index == 4:
        plants.add("household_band", code, "治理网格数少一格，部分网格户数超过500户")
    if index == 7:
        plants.add("split_building", code, "党建网格线未沿道路划分，穿过部分楼栋")
    return governance, party


def number_grids(community: str, grids: list[tuple[str, shapely.Polygon]]) -> list[tuple[str, str, shapely.Polygon]]:
    """Codes community + 3 digits, per layer west→east then north→south, unique across layers."""
    order = {"unified": 0, "governance": 1, "party": 2}
    keyed = sorted(grids, key=lambda g: (order[g[0]], -round(g[1].centroid.y / 150), g[1].centroid.x))
    return [(f"{community}{i + 1:03d}", layer, poly) for i, (layer, poly) in enumerate(keyed)]
