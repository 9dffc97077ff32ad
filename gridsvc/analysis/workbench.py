"""The planner's workbench: edits to a plan's grids and the figures a planner watches while making them.

A plan is edited as an assignment of buildings to grid codes. Every grid is drawn as its buildings'
cells (:mod:`gridsvc.analysis.cells`), keeping the plan's own polygon wherever no building changes
grid (:func:`gridsvc.analysis.boundaries.grid_shapes`), so each edit keeps the layer free of gaps and
overlaps and never splits a building. The edits, each a plain dict (JSON from the browser or a file):

- ``{"op": "move", "buildings": [ids], "to": code}``: the buildings join grid ``code`` (same community);
- ``{"op": "new", "buildings": [ids]}``: the buildings make a new grid (the community's first free code);
- ``{"op": "split", "line": [[x, y], ...]}``: the one grid the line cuts in two (with buildings on
  both sides) is split; the side with more households keeps the code, the other gets a new one;
- ``{"op": "merge", "grids": [a, b, ...]}``: the other grids' buildings join the first (they must touch).

A refused edit raises :class:`EditRefused` naming the step and, in Chinese, the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from gridsvc.analysis.boundaries import grid_shapes
from gridsvc.analysis.cells import Cells
from gridsvc.analysis.objective import Candidate
from gridsvc.analysis.plans import free_codes, households_moved, kept_households
from gridsvc.analysis.scene import Thresholds

OPS = ("move", "new", "split", "merge")


class EditRefused(ValueError):
    """An edit that cannot be made: ``step`` is its place in the list (from 1), the message Chinese."""

    def __init__(self, step: int, reason: str):
        super().__init__(f"第 {step} 步编辑（{reason}）")
        self.step, self.reason = step, reason


@dataclass
class Board:
    """What the workbench edits: the buildings of a plan's communities and their cells (one metric CRS).

    ``buildings``: id, name, community, households, party_grid, governance_grid, rep_point, geometry
    (positions match ``cells``); ``groups``: Party groups as lists of building positions; ``shapes``:
    the plan's grid polygons by code; ``grid_community`` and ``names``: each plan grid's community
    and name; ``taken``: codes a new grid may not take (live grids and the plan's); ``urban``: each
    plan grid's urban flag; ``group_names``: the Party groups' names."""

    buildings: pd.DataFrame
    cells: Cells
    groups: dict[str, list[int]]
    shapes: dict[str, shapely.Geometry]
    areas: dict[str, shapely.Geometry]
    grid_community: dict[str, str]
    names: dict[str, str | None]
    taken: set[str] = field(default_factory=set)
    urban: dict[str, bool] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)
    blocks: np.ndarray | None = None  # each building's street block where roads are loaded (else None)

    @property
    def position(self) -> dict[str, int]:
        return {b: i for i, b in enumerate(self.buildings["id"])}


@dataclass
class State:
    """The grid code of each building, and the grids' communities (new grids included)."""

    grid_of: np.ndarray  # object array of codes, one per building
    grid_community: dict[str, str]

    def copy(self) -> State:
        return State(self.grid_of.copy(), dict(self.grid_community))


def apply_edits(board: Board, start: State, edits: list[dict]) -> State:
    """The state after ``edits`` (each checked; the first refused one raises :class:`EditRefused`)."""
    state = start.copy()
    for step, edit in enumerate(edits, start=1):
        op = edit.get("op") if isinstance(edit, dict) else None
        if op not in OPS:
            raise EditRefused(step, f"不认识的操作 {op!r}，应为 {'、'.join(OPS)} 之一")
        {"move": _move, "new": _new, "split": _split, "merge": _merge}[op](board, state, edit, step)
    return state


def _chosen(board: Board, edit: dict, step: int) -> np.ndarray:
    ids = edit.get("buildings")
    if not isinstance(ids, list) or not ids:
        raise EditRefused(step, "没有选中楼栋")
    where = board.position
    unknown = [str(b) for b in ids if where.get(str(b)) is None]
    if unknown:
        raise EditRefused(step, f"方案的社区里没有楼栋 {'、'.join(unknown[:5])}")
    return np.array(sorted({where[str(b)] for b in ids}))


def _one_community(board: Board, rows: np.ndarray, step: int) -> str:
    communities = sorted(set(board.buildings["community"].to_numpy()[rows]))
    if len(communities) != 1:
        raise EditRefused(
            step, f"选中的楼栋分属 {len(communities)} 个社区（{'、'.join(communities)}）；一次只能编辑一个社区"
        )
    return communities[0]


def _move(board: Board, state: State, edit: dict, step: int) -> None:
    rows = _chosen(board, edit, step)
    target = str(edit.get("to") or "")
    if target not in set(state.grid_of):
        raise EditRefused(step, f"方案里没有网格 {target or '（未指定）'}")
    community = _one_community(board, rows, step)
    if state.grid_community[target] != community:
        raise EditRefused(step, f"楼栋在社区 {community}，网格 {target} 属于社区 {state.grid_community[target]}")
    state.grid_of[rows] = target


def _new(board: Board, state: State, edit: dict, step: int) -> None:
    rows = _chosen(board, edit, step)
    community = _one_community(board, rows, step)
    code = _fresh_code(board, state, community, step)
    state.grid_of[rows] = code
    state.grid_community[code] = community


def _fresh_code(board: Board, state: State, community: str, step: int) -> str:
    free = free_codes(board.taken | set(state.grid_community), community, 1)
    if not free:
        raise EditRefused(step, f"社区 {community} 的 999 个网格编码都已用完")
    return free[0]


def _split(board: Board, state: State, edit: dict, step: int) -> None:
    try:
        line = shapely.LineString(edit.get("line") or [])
    except (TypeError, ValueError, shapely.errors.GEOSException):
        line = None
    if line is None or line.is_empty or not line.is_valid or line.length == 0:
        raise EditRefused(step, "分割线至少要有两个不同的点")
    shapes = grid_polygons(board, state)
    points = board.buildings["rep_point"].to_numpy()
    cut: list[tuple[str, list[np.ndarray]]] = []
    for code, polygon in shapes.items():
        if not shapely.intersects(polygon, line):
            continue
        mine = np.flatnonzero(state.grid_of == code)
        pieces = _pieces(polygon, line)
        sides = [mine[shapely.contains(piece, points[mine])] for piece in pieces]
        sides = [s for s in sides if len(s)]
        if len(sides) >= 2:
            cut.append((code, sides))
    if not cut:
        raise EditRefused(step, "分割线没有把任何网格分成两边都有楼栋的两部分；请让线从网格一边画到另一边")
    if len(cut) > 1:
        raise EditRefused(step, f"分割线切开了 {len(cut)} 个网格（{'、'.join(c for c, _ in cut)}）；一次只分割一个网格")
    code, sides = cut[0]
    if len(sides) > 2:
        raise EditRefused(step, f"分割线把网格 {code} 分成了 {len(sides)} 块；请画一条只把它分成两块的线")
    h = board.buildings["households"].fillna(0).to_numpy(float)
    keep = max(range(2), key=lambda i: (h[sides[i]].sum(), -i))
    community = state.grid_community[code]
    fresh = _fresh_code(board, state, community, step)
    state.grid_of[sides[1 - keep]] = fresh
    state.grid_community[fresh] = community


def _pieces(polygon: shapely.Geometry, line: shapely.Geometry) -> list[shapely.Geometry]:
    """The parts of ``polygon`` on either side of ``line`` (a thin cut, so parts do not touch)."""
    cut = shapely.difference(polygon, shapely.buffer(line, 0.01, cap_style="flat"))
    return list(shapely.get_parts(cut))


def _merge(board: Board, state: State, edit: dict, step: int) -> None:
    codes = edit.get("grids")
    if not isinstance(codes, list) or len(set(map(str, codes))) < 2:
        raise EditRefused(step, "合并至少要选两个不同的网格")
    codes = list(dict.fromkeys(map(str, codes)))
    present = set(state.grid_of)
    missing = [c for c in codes if c not in present]
    if missing:
        raise EditRefused(step, f"方案里没有网格 {'、'.join(missing)}")
    communities = {state.grid_community[c] for c in codes}
    if len(communities) > 1:
        raise EditRefused(step, "不能合并不同社区的网格")
    merged = np.isin(state.grid_of, codes)
    if components(board.cells, merged) > 1:
        raise EditRefused(step, f"网格 {'、'.join(codes)} 互不相邻，不能合并")
    state.grid_of[merged] = codes[0]


def components(cells: Cells, mask: np.ndarray) -> int:
    """How many pieces the cells picked by ``mask`` make (cells sharing an edge are one piece)."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return 0
    inside = mask[cells.edges[:, 0]] & mask[cells.edges[:, 1]] if len(cells.edges) else np.zeros(0, bool)
    local = np.full(len(mask), -1)
    local[rows] = np.arange(len(rows))
    e = cells.edges[inside]
    graph = sparse.coo_matrix((np.ones(len(e)), (local[e[:, 0]], local[e[:, 1]])), shape=(len(rows), len(rows)))
    return int(connected_components(graph, directed=False)[0])


def grid_polygons(board: Board, state: State) -> dict[str, shapely.Geometry]:
    """Each grid's polygon: the plan's own where none of its buildings changed, else unions of cells."""
    out: dict[str, shapely.Geometry] = {}
    b = board.buildings
    for community, area in board.areas.items():
        rows = np.flatnonzero((b["community"] == community).to_numpy())
        if not len(rows):
            continue
        codes = sorted(set(state.grid_of[rows]))
        candidates = [Candidate(code, None) for code in codes]
        index = {c: k for k, c in enumerate(codes)}
        grid = np.array([index[c] for c in state.grid_of[rows]])
        tiles = {c: g for c, g in board.shapes.items() if board.grid_community.get(c) == community}
        points, footprints = b["rep_point"].to_numpy()[rows], b.geometry.values[rows]
        shapes = grid_shapes(area, board.cells.geoms[rows], points, grid, candidates, tiles, footprints)
        if shapes is None:
            shapes = {k: shapely.coverage_union_all(board.cells.geoms[rows][grid == k]) for k in range(len(codes))}
        out |= {codes[k]: g for k, g in shapes.items()}
    return out


def panel(board: Board, state: State, start: State, limits: Thresholds) -> dict:
    """The figures beside the map: per grid its households against the band, its buildings and
    whether it is in one piece; for the whole plan the grids outside the band or in pieces, the Party
    groups split between grids, ``alignment_rate`` against today's governance layer (domain.md §5)
    and households moved off each live layer, and what changed since the plan as stored."""
    b = board.buildings
    h = b["households"].fillna(0).to_numpy(float)
    grids = []
    for code in sorted(set(state.grid_of)):
        mine = state.grid_of == code
        households = int(h[mine].sum())
        grids.append(
            {
                "code": code,
                "name": board.names.get(code),
                "community": state.grid_community[code],
                "households": households,
                "buildings": int(mine.sum()),
                "band": limits.band(households),
                "pieces": components(board.cells, mine),
                "new": code not in board.shapes,
            }
        )
    table = b[["households", "party_grid", "governance_grid"]].fillna({"households": 0}).assign(plan=state.grid_of)
    total = int(table["households"].sum())
    changed = np.flatnonzero(state.grid_of != start.grid_of)
    return {
        "grids": grids,
        "outside_band": sum(g["band"] != "within" for g in grids),
        "in_pieces": [g["code"] for g in grids if g["pieces"] > 1],
        "split_groups": [
            {"id": g, "name": board.group_names.get(g) or g, "grids": sorted(set(state.grid_of[rows]))}
            for g, rows in sorted(board.groups.items())
            if len(set(state.grid_of[rows])) > 1
        ],
        "alignment_rate": kept_households(table, "plan", "governance_grid") / total if total else None,
        **households_moved(table, "plan"),
        "buildings_changed": [str(b["id"].iloc[i]) for i in changed],
        "households_changed": int(h[changed].sum()),
    }
