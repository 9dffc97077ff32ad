"""The planner's workbench as users run it (browser, API and CLI alike): open a plan for editing, see
what a list of edits does to it, and save the result as the plan's next version (a new draft plan
that remembers its parent), audited.

The edits and the figures are :mod:`gridsvc.analysis.workbench`; this module reads the plan and its
communities, turns the browser's lon/lat into the metric CRS and back, and stores versions. The board
of a plan (buildings, cells, Party groups) is kept in a small cache while the data does not change, so
an edit costs the edits and the figures, not the reading.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine

from gridsvc.analysis import workbench as bench
from gridsvc.analysis.assignment import assign_to_polygons
from gridsvc.analysis.cells import Cells, building_cells, street_blocks
from gridsvc.analysis.plans import tidy_layer
from gridsvc.analysis.scene import Thresholds
from gridsvc.errors import InvalidInput
from gridsvc.repository import audit, read
from gridsvc.repository import plans as repo
from gridsvc.services.coverage import coverage
from gridsvc.services.plans import TIDY_GRID_DEG, common_area, get_plan, party_groups

MAX_EDITS = 500  # edits in one request: far more than a session of undo steps holds
_BOARDS: OrderedDict = OrderedDict()
_LOCK = threading.Lock()
BOARD_CACHE_SIZE = 4


class Opened:
    """A plan open on the workbench: the plan's row, its board, the state as stored, the metric CRS."""

    def __init__(self, plan: dict, board: bench.Board, start: bench.State, crs):
        self.plan, self.board, self.start, self.crs = plan, board, start, crs

    def apply(self, edits: list[dict]) -> bench.State:
        if not isinstance(edits, list):
            raise InvalidInput("edits 应是一组修改（列表）")
        if len(edits) > MAX_EDITS:
            raise InvalidInput(f"一次最多 {MAX_EDITS} 项修改，收到 {len(edits)} 项")
        try:
            return bench.apply_edits(self.board, self.start, [self._metric(e) for e in edits])
        except bench.EditRefused as exc:
            raise InvalidInput(str(exc)) from None

    def _metric(self, edit):
        """A split line in lon/lat (EPSG:4490, as the page draws) in the board's metric CRS."""
        if not isinstance(edit, dict) or edit.get("op") != "split":
            return edit
        try:
            line = np.asarray(edit.get("line"), dtype=float)
            ok = line.ndim == 2 and line.shape[0] >= 2 and line.shape[1] == 2 and np.isfinite(line).all()
        except (TypeError, ValueError):
            ok = False
        if not ok or not (np.abs(line[:, 0]) <= 180).all() or not (np.abs(line[:, 1]) <= 90).all():
            return edit | {"line": None}
        metric = gpd.GeoSeries([shapely.LineString(line)], crs=4490).to_crs(self.crs).iloc[0]
        return edit | {"line": shapely.get_coordinates(metric).tolist()}

    def grids(self, state: bench.State) -> gpd.GeoDataFrame:
        """The state's grids in EPSG:4490: code, community_code, name, urban, geometry."""
        shapes = bench.grid_polygons(self.board, state)
        codes = sorted(shapes)
        frame = gpd.GeoDataFrame(
            {
                "code": codes,
                "community_code": [state.grid_community[c] for c in codes],
                "name": [self.board.names.get(c) for c in codes],
                "urban": [self.board.urban.get(c, True) for c in codes],
            },
            geometry=[shapes[c] for c in codes],
            crs=self.crs,
        )
        return frame.to_crs(4490)


def open_plan(engine: Engine, plan_id: int, limits: Thresholds) -> Opened:
    """The plan on the workbench, as ``engine`` may see it (row-level security decides)."""
    with engine.connect() as conn:
        plan = get_plan(conn, plan_id)
        stored = repo.plan_grids(conn, plan_id)
        taken = repo.used_codes(conn, list(plan["communities"]))
    cov = coverage(engine, common_area(list(plan["communities"])), limits=limits)
    with engine.connect() as conn:
        roads = read.roads(conn, read.BBox(*cov.scene.communities.total_bounds))
    key = (plan_id, limits)
    with _LOCK:
        hit = _BOARDS.get(key)
        if hit is not None and hit[0] is cov:
            _BOARDS.move_to_end(key)
            return hit[1]
    opened = _board(plan, stored, taken, cov, roads)
    with _LOCK:
        _BOARDS[key] = (cov, opened)
        while len(_BOARDS) > BOARD_CACHE_SIZE:
            _BOARDS.popitem(last=False)
    return opened


def _board(plan: dict, stored: gpd.GeoDataFrame, taken: set[str], cov, roads: gpd.GeoDataFrame) -> Opened:
    scene, crs = cov.scene, cov.scene.crs
    communities = list(plan["communities"])
    b = cov.units.buildings
    mine = b["community"].isin(communities).to_numpy()
    buildings = gpd.GeoDataFrame(
        {
            "id": b["id"][mine].to_numpy(),
            "name": scene.buildings["name"][mine].to_numpy(),
            "community": b["community"][mine].to_numpy(),
            "households": b["households"][mine].to_numpy(),
            "party_grid": b["party_grid"][mine].to_numpy(),
            "governance_grid": b["governance_grid"][mine].to_numpy(),
        },
        geometry=scene.buildings.geometry[mine].to_crs(crs).values,
        crs=crs,
    )
    buildings["rep_point"] = scene.metric_rep_points(mine)
    buildings = buildings.sort_values(["community", "id"], kind="stable", ignore_index=True)
    areas = scene.communities[scene.communities["code"].isin(communities)].to_crs(crs)
    areas = dict(zip(areas["code"], areas.geometry, strict=True))
    lines = roads.to_crs(crs).geometry.values.to_numpy() if len(roads) else None
    cells, blocks = _cells(buildings, areas, lines)
    stored_m = stored.to_crs(crs)
    shapes = dict(zip(stored_m["code"], stored_m.geometry, strict=True))
    grid_community = dict(zip(stored["code"], stored["community_code"], strict=True))
    inside = assign_to_polygons(buildings["rep_point"].to_numpy(), stored_m.geometry.values.to_numpy())
    if (inside < 0).any():
        missing = buildings["id"][inside < 0].tolist()
        raise InvalidInput(
            f"方案 {plan['id']}：{len(missing)} 栋楼不在任何网格内（{', '.join(missing[:5])}）；"
            "只有网格容纳全部楼栋的方案才能修改"
        )
    position = {i: k for k, i in enumerate(buildings["id"])}
    groups = {g: [position[m] for m in members] for g, members in party_groups(scene, set(buildings["id"])).items()}
    board = bench.Board(
        buildings,
        cells,
        groups,
        shapes,
        areas,
        grid_community,
        dict(zip(stored["code"], stored["name"], strict=True)),
        taken | set(stored["code"]),
        dict(zip(stored["code"], stored["urban"].astype(bool), strict=True)),
        dict(zip(scene.party_orgs["id"], scene.party_orgs["name"], strict=True)),
        blocks,
    )
    start = bench.State(stored["code"].to_numpy(object)[inside], dict(grid_community))
    return Opened(plan, board, start, crs)


def _cells(buildings: gpd.GeoDataFrame, areas: dict, roads) -> tuple[Cells, np.ndarray]:
    """Cells of every community's buildings (along the roads), in the buildings' order, with edges
    across the whole list; and each building's street block (``community:n``, None without roads)."""
    geoms, edges, lengths = [], [], []
    blocks = np.full(len(buildings), None, dtype=object)
    for community in pd.unique(buildings["community"]):
        rows = np.flatnonzero((buildings["community"] == community).to_numpy())
        footprints, points = buildings.geometry.values[rows], buildings["rep_point"].to_numpy()[rows]
        part = building_cells(areas[community], footprints, points, roads)
        geoms.append(part.geoms)
        edges.append(rows[part.edges] if len(part.edges) else np.zeros((0, 2), dtype=np.int64))
        lengths.append(part.length)
        block = street_blocks(areas[community], roads, points)
        blocks[rows] = [f"{community}:{k}" if k >= 0 else None for k in block]
    if not geoms:
        return Cells(np.array([], dtype=object), np.zeros((0, 2), dtype=np.int64), np.zeros(0)), blocks
    return Cells(np.concatenate(geoms), np.vstack(edges), np.concatenate(lengths)), blocks


def preview(engine: Engine, plan_id: int, edits: list[dict], limits: Thresholds) -> dict:
    """What ``edits`` make of the plan: its grids (GeoJSON-ready frame), the grid of every building
    that differs from the stored plan, and the panel's figures."""
    opened = open_plan(engine, plan_id, limits)
    state = opened.apply(edits)
    return {
        "grids": opened.grids(state),
        "grid_of": _changed(opened, state),
        "panel": bench.panel(opened.board, state, opened.start, limits),
    }


def _changed(opened: Opened, state: bench.State) -> dict[str, str]:
    ids = opened.board.buildings["id"].to_numpy()
    moved = np.flatnonzero(state.grid_of != opened.start.grid_of)
    return {str(ids[i]): str(state.grid_of[i]) for i in moved}


def start(engine: Engine, plan_id: int, limits: Thresholds) -> dict:
    """What the page needs to begin: the plan, its buildings (lon/lat footprints with their grid),
    its grids and the panel."""
    opened = open_plan(engine, plan_id, limits)
    b = opened.board.buildings
    buildings = gpd.GeoDataFrame(
        {
            "id": b["id"],
            "name": b["name"],
            "community": b["community"],
            "households": b["households"].fillna(0).astype(int),
            "grid": opened.start.grid_of,
            "block": opened.board.blocks,
        },
        geometry=b.geometry.values,
        crs=opened.crs,
    ).to_crs(4490)
    return {
        "plan": {k: opened.plan[k] for k in ("id", "name", "layer", "status", "communities")},
        "buildings": buildings,
        "grids": opened.grids(opened.start),
        "panel": bench.panel(opened.board, opened.start, opened.start, limits),
    }


def save(engine: Engine, plan_id: int, edits: list[dict], limits: Thresholds, name: str | None = None) -> dict:
    """Store the edited plan as the next version: a new draft plan whose parent is ``plan_id``, with
    the edits in the audit log; returns its id and version."""
    opened = open_plan(engine, plan_id, limits)
    state = opened.apply(edits)
    grids = opened.grids(state)
    with engine.connect() as conn:
        areas = read.areas(conn, "community").set_index("code").geometry
    for community, rows in grids.groupby("community_code"):  # valid in the stored CRS, tiling exactly
        order = rows.sort_values("code").index
        grids.loc[order, "geometry"] = tidy_layer(areas[community], list(grids.geometry[order]), TIDY_GRID_DEG)
    plan = opened.plan
    with engine.begin() as conn:
        parent = repo.plan(conn, plan_id, lock=True)
        version = int(parent.get("version") or 1) + 1
        new_id = repo.insert_plan(
            conn,
            name or _version_name(plan["name"], version),
            list(plan["communities"]),
            plan["layer"],
            "workbench",
            grids,
            note=f"由方案 {plan_id} 编辑而来（{len(edits)} 步）",
            parent=plan_id,
            version=version,
            boundary_weight=float(parent.get("boundary_weight") or 0.0),
        )
        audit.record(conn, "plan.edit", "plan", new_id, None, {"parent": plan_id, "edits": edits})
    return {"id": new_id, "version": version, "parent": plan_id}


def _version_name(name: str, version: int) -> str:
    base = name.split("（第")[0] if name.endswith("版）") else name
    return f"{base}（第{version}版）"


def versions(engine: Engine, plan_id: int) -> list[dict]:
    """The plan's versions: its ancestors, itself and every plan edited from it, oldest first."""
    with engine.connect() as conn:
        get_plan(conn, plan_id)
        return repo.versions(conn, plan_id)
