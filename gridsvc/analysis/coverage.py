"""Coverage of a scene: metrics at every level, the gap list, one grid's detail.

>>> # cov = compute_coverage(scene); cov.tree("320199"); cov.gap_list(kind="no_grid_leader")
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gridsvc.analysis import gaps as gap_rules
from gridsvc.analysis import structure
from gridsvc.analysis.alignment import Alignment, align_community, matched_households, named_alignment
from gridsvc.analysis.bulk import paused
from gridsvc.analysis.grid_gaps import grid_gaps, stranded_gaps
from gridsvc.analysis.metrics import ALL, CODE_LENGTH, LEVELS, METRICS, as_json, level_figures, roll_up
from gridsvc.analysis.scene import PARTY_SIDE, STAFF_SIDE, Scene, Thresholds
from gridsvc.analysis.targets import assess, missed_rows
from gridsvc.analysis.topology import community_topology
from gridsvc.analysis.units import (
    Units,
    building_units,
    organization_units,
    party_grid_units,
    staff_grid_units,
)

BUILDING_STATUS = ("eligible_uncovered", "no_building_leader", "covered", "fine")


def level_of(code: str) -> str:
    for level, length in CODE_LENGTH.items():
        if len(code) == length:
            return level
    raise ValueError(f"{code!r} 不是区、街道、社区或网格编码（6、9、12 或 15 位数字）")


def building_status(buildings: pd.DataFrame) -> pd.Series:
    """What a grid leader's map shows per building, problems first (one of BUILDING_STATUS)."""
    return pd.Series(
        np.select(
            [
                buildings["eligible"] & ~buildings["covered"],
                buildings["residential"] & ~buildings["has_leader"],
                buildings["covered"],
            ],
            ["eligible_uncovered", "no_building_leader", "covered"],
            default="fine",
        ),
        index=buildings.index,
    )


@dataclass
class Coverage:
    scene: Scene
    units: Units
    topology: pd.DataFrame
    gaps: gpd.GeoDataFrame

    @functools.cached_property
    def figures(self) -> dict[str, dict[str, dict]]:
        """level -> code -> metrics JSON, each level computed when first asked for."""
        return _LazyLevels(self)

    # -- the tree ------------------------------------------------------------------------------
    @paused()
    def tree(self, code: str | None = None) -> dict | list[dict]:
        """The node of ``code`` with its descendants; without a code, every district."""
        if code is None:
            return [self.tree(d) for d in sorted(self.scene.communities["district_code"].unique())]
        if code not in self._names:
            raise KeyError(code)
        return self._node(code)

    def _node(self, code: str) -> dict:
        level = level_of(code)
        area = {"code": code, "level": level, "name": self._names[code]}
        if level == "grid":
            area["layer"] = self._grid_layer[code]
        return {"area": area, "metrics": self.metrics(code), "children": [self._node(c) for c in self.children(code)]}

    def metrics(self, code: str | None) -> dict:
        """The figures of ``code``; None: of everything in the scene together."""
        level = ALL if code is None else level_of(code)
        layer = self._grid_layer[code] if level == "grid" else None
        return metric_values(self.figures[level].get(code or "", {}), level, layer)

    def parts(self, level: str) -> pd.DataFrame:
        """The figures at ``level`` as sums that larger areas add up (metrics.roll_up), e.g. each
        street's, computed apart, into its district's."""
        return self.figures.parts(level)

    def children(self, code: str | None) -> list[str]:
        """The areas (or grids) directly below ``code``; None: the districts."""
        if code is None:
            return sorted(self.scene.communities["district_code"].unique())
        return self._children.get(code, [])

    def name(self, code: str) -> str:
        return self._names[code]

    def descendants(self, code: str | None, level: str) -> list[str]:
        """Every area (or grid) at ``level`` below ``code`` (None: below nothing, i.e. all), sorted."""
        found = [code] if code is not None else [None]
        while found and (found[0] is None or level_of(found[0]) != level):
            found = [child for c in found for child in self.children(c)]
        return found

    @functools.cached_property
    def _children(self) -> dict[str, list[str]]:
        c = self.scene.communities
        pairs = [
            *zip(c["district_code"], c["street_code"], strict=True),
            *zip(c["street_code"], c["code"], strict=True),
            *zip(self.scene.grids["community_code"], self.scene.grids["code"], strict=True),
        ]
        children: dict[str, set[str]] = {}
        for parent, child in pairs:
            children.setdefault(parent, set()).add(child)
        return {parent: sorted(kids) for parent, kids in children.items()}

    @functools.cached_property
    def _names(self) -> dict[str, str]:
        c = self.scene.communities
        names = dict(zip(c["district_code"], c["district_name"], strict=True))
        names |= dict(zip(c["street_code"], c["street_name"], strict=True))
        names |= dict(zip(c["code"], c["name"], strict=True))
        names |= dict(zip(self.scene.grids["code"], self.scene.grids["name"].fillna(""), strict=True))
        return names

    @functools.cached_property
    def _grid_layer(self) -> dict[str, str]:
        return dict(zip(self.scene.grids["code"], self.scene.grids["layer"], strict=True))

    # -- gaps and one grid ---------------------------------------------------------------------
    def targets(self) -> pd.DataFrame:
        """Every target of an area in the scene beside its current figure (``analysis.targets.assess``)."""
        return assess(self.scene.targets, self.metrics, self._names, self.scene.as_of)

    def gap_list(self, area: str | None = None, kind: str | None = None) -> gpd.GeoDataFrame:
        g = self.gaps
        if area:
            g = g[g["grid"] == area] if level_of(area) == "grid" else g[g["community"].str.startswith(area)]
        if kind:
            g = g[g["kind"] == kind]
        return g

    def alignment(self, community: str) -> Alignment:
        """How far the two layers of ``community`` are apart, the matched pairs and the moves."""
        if community not in set(self.scene.communities["code"]):
            raise KeyError(community)
        b = self.units.buildings
        mine = b[b["community"] == community]
        grids = self.scene.grids[self.scene.grids["community_code"] == community].to_crs(self.scene.crs)
        groups: dict[str, list] = {}
        for group, buildings in self.scene.group_buildings().items():
            for building in buildings:
                groups.setdefault(building, []).append((group, buildings))
        a = self.scene.active_assignments()
        leader_ids = set(self.scene.staff.loc[self.scene.staff["role"] == "building_leader", "id"])
        held = a[(a["target_type"] == "building") & a["staff_id"].isin(leader_ids)]
        leaders = held.groupby("target_id")["staff_id"].apply(list).to_dict()
        return named_alignment(align_community(community, mine, grids, groups, leaders), self.scene)

    def grid_buildings(self, code: str) -> pd.DataFrame:
        """The buildings of grid ``code`` (on its side or sides) with their status."""
        b = self.units.buildings
        layer = self._grid_layer[code]
        mine = np.zeros(len(b), dtype=bool)
        for side in _sides(layer):
            mine |= (b[f"{side}_grid"] == code).to_numpy()
        out = b[mine].copy()
        out["status"] = building_status(out)
        return out


def metric_values(found: dict, level: str, layer: str | None = None) -> dict:
    """A node's metrics in the order every answer lists them, from the figures ``found`` for it
    (as_json): those of its level (and a grid's layer), a missing one as empty."""
    return {key: found[key] if key in found else _empty(key) for key in _metric_keys(level, layer)}


@functools.cache
def _metric_keys(level: str, layer: str | None) -> tuple[str, ...]:
    if level == "grid":
        return tuple(m.key for m in METRICS if m.grid and _side(m) in _sides(layer))
    keys: list[str] = []
    for m in METRICS:
        keys += [f"{m.key}.max", f"{m.key}.median"] if m.kind == "per_worker" else [m.key]
    return tuple(keys)


def _side(metric) -> str:
    return "party" if metric.grid == "party_grid" or metric.table == "party_grids" else "governance"


def _sides(layer: str) -> tuple[str, ...]:
    return {"party": ("party",), "governance": ("governance",), "unified": ("party", "governance")}[layer]


def _empty(key: str) -> dict:
    counted = key.startswith(("gap_area", "overlap_area", "buildings_"))
    return {
        "value": 0 if counted else None,
        "numerator": None if counted or "." in key else 0,
        "denominator": None if counted or "." in key else 0,
    }


@paused()
def compute_coverage(scene: Scene, thresholds: Thresholds | None = None) -> Coverage:
    """Everything domain.md §4–5 asks of ``scene``."""
    t = thresholds or Thresholds()
    grids_m = scene.grids.to_crs(scene.crs)
    # the topology is nearly all GEOS, which lets go of the GIL: it runs beside the unit tables
    with ThreadPoolExecutor(max_workers=1) as pool:
        shapes = pool.submit(community_topology, scene.communities.to_crs(scene.crs), grids_m, t)
        buildings = building_units(scene, t)
        units = Units(
            buildings,
            organization_units(scene, t),
            party_grid_units(scene, buildings),
            staff_grid_units(scene, buildings),
        )
        topology, problems = shapes.result()
    namer = gap_rules.Namer(scene)
    to_lonlat = _to_lonlat(scene)
    rows = gap_rules.topology_gaps(problems, to_lonlat, namer) + grid_gaps(units, scene, namer, t)
    rows += stranded_gaps(scene)
    rows += structure.joint_branch_gaps(units, scene)
    rows += structure.branch_gaps(scene, units)
    rows += structure.parent_gaps(scene, units)
    rows += structure.centre_gaps(scene)
    rows += structure.need_gaps(scene, units, t.need_open_days) + structure.seat_gaps(scene, units)
    frames = gap_rules.building_gaps(units, scene, namer, t) + gap_rules.organization_gaps(units, scene, namer)
    cov = Coverage(scene, units, topology, gap_rules.gap_frame(rows, frames))
    if len(scene.targets):  # a target is measured against the figures just computed
        missed = missed_rows(cov.targets(), scene.communities)
        if missed:
            cov.gaps = gap_rules.gap_frame(rows + missed, frames)
    return cov


class _LazyLevels(dict):
    """Figures per level, summed on first use (a grid's map needs one level, a report all four)."""

    def __init__(self, coverage: Coverage):
        super().__init__()
        u = coverage.units
        self._grids = coverage.scene.grids
        self._parts: dict[str, pd.DataFrame] = {}
        self._tables = {
            "buildings": u.buildings,
            "organizations": u.organizations,
            "party_grids": u.party_grids,
            "staff_grids": u.staff_grids,
            "topology": coverage.topology,
        }

    def __missing__(self, level: str) -> dict[str, dict]:
        if level not in (*LEVELS, ALL):
            raise KeyError(level)
        if level == "grid":
            figures = level_figures(self._at(level), level)
        else:  # the communities' sums (added up above them): the same numbers as summing every unit again
            figures = roll_up(self.parts("community"), level)
        self[level] = as_json(figures)
        return self[level]

    def parts(self, level: str) -> pd.DataFrame:
        if level not in self._parts:
            self._parts[level] = level_figures(self._at(level), level, ratios=True)
        return self._parts[level]

    def _at(self, level: str) -> dict[str, pd.DataFrame]:
        if level != "grid" and "alignment" not in self._tables:  # community level and up only
            self._tables["alignment"] = matched_households(self._tables["buildings"], self._grids)
        return self._tables if level != "grid" else {k: v for k, v in self._tables.items() if k != "alignment"}


def _to_lonlat(scene: Scene):
    transformer = Transformer.from_crs(scene.crs, 4490, always_xy=True)

    def convert(geom):
        return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))

    return convert


__all__ = ["Coverage", "compute_coverage", "building_status", "level_of", "metric_values", "PARTY_SIDE", "STAFF_SIDE"]
