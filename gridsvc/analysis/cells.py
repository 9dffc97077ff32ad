"""Building cells: the community cut into one piece of land per building, the atoms a grid layout
is built from (a grid = the union of its buildings' cells).

A cell is the Voronoi region of its building's *footprint* (points along the outline, not only the
representative point), clipped to the community, so a cell holds its whole footprint: a layout made
of cells fills the community with no gaps or overlaps and splits no building.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from gridsvc.analysis.assignment import assign_to_polygons
from gridsvc.analysis.plans import polygonal

OUTLINE_STEP_M = 5.0  # spacing of the outline points that seed the Voronoi diagram
SNAP_M = 0.01  # outline points closer than this are one point (touching buildings share walls)


@dataclass
class Cells:
    """One cell per building (same order), and which cells share an edge.

    ``edges``: (i, j) index pairs with i < j; ``length``: shared edge length in metres.
    """

    geoms: np.ndarray
    edges: np.ndarray
    length: np.ndarray
    counted: np.ndarray | None = None  # per edge: its length as the layout's boundary counts it

    def neighbours(self) -> list[np.ndarray]:
        out: list[list[int]] = [[] for _ in range(len(self.geoms))]
        for i, j in self.edges:
            out[i].append(j)
            out[j].append(i)
        return [np.array(n, dtype=np.int64) for n in out]

    def cut(self, grid_of_cell: np.ndarray) -> float:
        """Metres of boundary between the grids of a layout as the programme counts them: the edges
        between cells of two grids, ``counted`` where set (:meth:`count_live_as_drawn`), else their
        length (:func:`gridsvc.analysis.objective.inner_boundary` measures the polygons drawn)."""
        if not len(self.edges):
            return 0.0
        length = self.length if self.counted is None else self.counted
        return float(length[grid_of_cell[self.edges[:, 0]] != grid_of_cell[self.edges[:, 1]]].sum())

    def count_live_as_drawn(self, live_grid: np.ndarray, live_boundary: float) -> None:
        """Count the edges between cells of two live grids (``live_grid`` per cell) at the length the
        live boundary is drawn: where no building moves the live line is kept, straighter and shorter
        than the cells' zig-zag along it, so those edges are scaled by drawn over zig-zag length.

        >>> import shapely
        >>> houses = [shapely.box(x - 2, 3, x + 2, 7) for x in (5, 15, 25)]
        >>> cells = building_cells(shapely.box(0, 0, 30, 10), houses, shapely.point_on_surface(houses))
        >>> cells.count_live_as_drawn(np.array(["A", "A", "B"]), 5.0)
        >>> cells.cut(np.array([0, 0, 1])), cells.cut(np.array([0, 1, 1]))
        (5.0, 10.0)
        """
        live = live_grid[self.edges[:, 0]] != live_grid[self.edges[:, 1]]
        zigzag = float(self.length[live].sum())
        scale = live_boundary / zigzag if zigzag > 0 else 1.0
        self.counted = np.where(live, self.length * scale, self.length)


def building_cells(community: shapely.Geometry, footprints, rep_points, roads=None) -> Cells:
    """Cells of the buildings of ``community`` (all in one metric CRS).

    With ``roads`` (centre lines), no cell reaches across a road: each street block's land is shared
    among its own buildings only, so a grid boundary between two blocks runs along the road. A
    block without buildings joins the cell it shares the longest border with; blocks a building's
    footprint straddles count as one.

    >>> import shapely
    >>> land = shapely.box(0, 0, 100, 50)
    >>> houses = [shapely.box(10, 10, 30, 40), shapely.box(70, 10, 90, 40)]
    >>> cells = building_cells(land, houses, shapely.point_on_surface(houses))
    >>> [round(c.area) for c in cells.geoms], cells.edges.tolist(), cells.length.round().tolist()
    ([2500, 2500], [[0, 1]], [50.0])
    >>> road = [shapely.LineString([(40, -5), (40, 55)])]
    >>> [round(c.area) for c in building_cells(land, houses, shapely.point_on_surface(houses), road).geoms]
    [2000, 3000]
    """
    footprints = np.asarray(footprints, dtype=object)
    rep_points = np.asarray(rep_points, dtype=object)
    geoms = _voronoi_cells(community, footprints, rep_points)
    if roads is not None and len(roads) and len(footprints):
        geoms = _along_roads(community, footprints, rep_points, geoms, np.asarray(roads, dtype=object))
    geoms = _holding_footprints(geoms, footprints)
    return Cells(geoms, *_shared_edges(geoms))


def _holding_footprints(cells: np.ndarray, footprints: np.ndarray) -> np.ndarray:
    """The cells with each footprint whole in its own: where two buildings share a wall, the seeds on
    it belong to one of them, and a strip inside the other (OSM: 13 % of a house) fell to the first.
    That land goes back to the house it lies in, unless a cell would come in pieces.

    >>> a, b = shapely.box(0, 0, 10, 10), shapely.box(10, 0, 30, 10)  # one wall shared
    >>> cells = np.array([shapely.box(0, 0, 14, 10), shapely.box(14, 0, 30, 10)], dtype=object)  # a's took 4 m of b
    >>> [round(c.area) for c in _holding_footprints(cells, np.array([a, b], dtype=object))]
    [100, 200]
    """
    short = np.flatnonzero(
        (shapely.area(footprints) > 0) & (shapely.area(shapely.difference(footprints, cells)) > SNAP_M**2)
    )
    if not len(short):
        return cells
    cells = cells.copy()
    for i in short:
        others = np.flatnonzero(shapely.intersects(cells, footprints[i]))
        others = others[others != i]
        taken = shapely.difference(cells[others], footprints[i])
        given = shapely.union_all([cells[i], *shapely.intersection(cells[others], footprints[i])])
        changed = [polygonal(g) for g in (given, *taken)]
        if all(sum(p.area > 1.0 for p in shapely.get_parts(g)) == 1 for g in changed):  # none in pieces or gone
            cells[i], cells[others] = changed[0], changed[1:]
    return _noded(cells)


def _voronoi_cells(land: shapely.Geometry, footprints: np.ndarray, rep_points: np.ndarray) -> np.ndarray:
    if len(footprints) == 1:
        return np.array([land], dtype=object)
    seeds, owner = _outline_points(footprints, rep_points)
    regions = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.multipoints(seeds), extend_to=shapely.envelope(land).buffer(10.0), ordered=True
        )
    )
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(len(footprints) + 1))
    pieces = regions[order]
    geoms = np.array(
        [shapely.coverage_union_all(pieces[bounds[k] : bounds[k + 1]]) for k in range(len(footprints))], dtype=object
    )
    return _polygons(shapely.make_valid(shapely.intersection(geoms, land)))


def _polygons(geoms: np.ndarray) -> np.ndarray:
    """Each cell's polygon parts: clipping a region along real roads can leave a stray line beside
    it (a GeometryCollection), which no coverage union of cells accepts."""
    odd = ~np.isin(shapely.get_type_id(geoms), (3, 6))
    geoms[odd] = [polygonal(g) for g in geoms[odd]]
    return geoms


def _along_roads(community, footprints, rep_points, geoms, roads) -> np.ndarray:
    """The cells redrawn block by block (see :func:`building_cells`)."""
    blocks = _blocks(community, roads, footprints)
    if len(blocks) < 2:
        return geoms
    block_of = assign_to_polygons(rep_points, blocks)
    if (block_of < 0).any():
        return geoms  # a building outside every block (the community's edge is off): keep plain cells
    out = np.empty(len(footprints), dtype=object)
    for k in np.unique(block_of):
        rows = np.flatnonzero(block_of == k)
        out[rows] = _voronoi_cells(blocks[k], footprints[rows], rep_points[rows])
    empty = [blocks[k] for k in range(len(blocks)) if k not in set(block_of.tolist())]
    for piece in sorted(empty, key=lambda g: -g.area):  # each to the cell with the longest shared border
        shared = shapely.length(shapely.intersection(shapely.boundary(piece), shapely.boundary(out)))
        best = int(np.argmax(shared))
        if shared[best] > 0.5:
            out[best] = _joined(out[best], piece)
        else:  # touching no cell: the land goes with the plain cells it lay in
            for i in np.flatnonzero(shapely.intersects(geoms, piece)):
                out[i] = shapely.union(out[i], shapely.intersection(geoms[i], piece))
    return _noded(_polygons(shapely.make_valid(out)))


def _joined(cell: shapely.Geometry, piece: shapely.Geometry) -> shapely.Geometry:
    """A cell and a piece of land beside it as one; an overlay union where the two do not share their
    vertices along the border (pieces of real street blocks), which a coverage union refuses."""
    try:
        return shapely.coverage_union(cell, piece)
    except shapely.errors.GEOSException:
        return polygonal(shapely.union(cell, piece))


def _noded(cells: np.ndarray) -> np.ndarray:
    """The same cells rebuilt from the faces of all their outlines noded together, so neighbours share
    every vertex (cells clipped block by block do not, and a coverage union needs them to)."""
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(shapely.boundary(cells)))))
    owner = assign_to_polygons(shapely.point_on_surface(faces), cells)
    faces, owner = faces[owner >= 0], owner[owner >= 0]
    out = np.array([shapely.coverage_union_all(faces[owner == i]) for i in range(len(cells))], dtype=object)
    lost = shapely.is_empty(out)
    out[lost] = cells[lost]
    return out


def _blocks(community: shapely.Geometry, roads: np.ndarray, footprints: np.ndarray) -> np.ndarray:
    """Street blocks of the community; blocks that one footprint lies across are joined."""
    lines = shapely.union_all(np.concatenate([roads, [shapely.boundary(community)]]))
    blocks = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    blocks = shapely.intersection(blocks, community)
    blocks = blocks[shapely.area(blocks) > 1.0]
    if not len(blocks):
        return blocks
    tree = shapely.STRtree(blocks)
    houses, hit = tree.query(footprints, predicate="intersects")
    inside = shapely.area(shapely.intersection(footprints[houses], blocks[hit])) > 0.01
    houses, hit = houses[inside], hit[inside]
    parent = np.arange(len(blocks))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    first: dict[int, int] = {}
    for house, block in zip(houses.tolist(), hit.tolist(), strict=True):
        if house in first:
            parent[root(block)] = root(first[house])
        else:
            first[house] = block
    roots = np.array([root(i) for i in range(len(blocks))])
    return np.array([shapely.coverage_union_all(blocks[roots == r]) for r in np.unique(roots)], dtype=object)


def _outline_points(footprints: np.ndarray, rep_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seed points (outline vertices every few metres, plus the representative point) and their building."""
    outline = shapely.segmentize(shapely.boundary(footprints), OUTLINE_STEP_M)
    is_point = shapely.get_type_id(footprints) == 0
    outline[is_point] = footprints[is_point]
    coords, owner = shapely.get_coordinates(outline, return_index=True)
    rep, rep_owner = shapely.get_coordinates(rep_points, return_index=True)
    coords, owner = np.vstack([rep, coords]), np.concatenate([rep_owner, owner])
    _, first = np.unique(np.round(coords / SNAP_M).astype(np.int64), axis=0, return_index=True)
    first.sort()
    return shapely.points(coords[first]), owner[first]


def _shared_edges(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right])))
    real = shared > 0.5
    return np.column_stack([left[real], right[real]]).astype(np.int64), shared[real]


def street_blocks(area: shapely.Geometry, roads, rep_points) -> np.ndarray:
    """Index of the street block (land enclosed by roads and the community edge) of each building,
    or -1 for all when no roads are known."""
    rep_points = np.asarray(rep_points, dtype=object)
    if roads is None or len(roads) == 0:
        return np.full(len(rep_points), -1)
    lines = shapely.union_all(np.concatenate([np.asarray(roads, dtype=object), [shapely.boundary(area)]]))
    blocks = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    blocks = blocks[shapely.area(shapely.intersection(blocks, area)) > 1.0]
    return assign_to_polygons(rep_points, blocks)


def overlapping(ids: list[str], footprints, fraction: float) -> list[list[str]]:
    """Pairs of buildings whose footprints overlap by more than ``fraction`` of the smaller one (OSM
    has building parts drawn over their building): in two grids one of them is split (domain.md
    rule 5) wherever the line runs, so they are kept in one grid as a Party group is.

    >>> overlapping(["a", "b", "c"], [shapely.box(0, 0, 10, 10), shapely.box(8, 0, 18, 10), shapely.box(20, 0, 30, 10)], 0.05)
    [['a', 'b']]
    """
    footprints = np.asarray(footprints, dtype=object)
    i, j = shapely.STRtree(footprints).query(footprints, predicate="intersects")
    i, j = i[i < j], j[i < j]
    shared = shapely.area(shapely.intersection(footprints[i], footprints[j]))
    smaller = np.minimum(shapely.area(footprints[i]), shapely.area(footprints[j]))
    hit = shared > fraction * smaller
    return [[ids[a], ids[b]] for a, b in zip(i[hit], j[hit], strict=True)]


def atoms(ids: list[str], groups: list[list[str]], cells: Cells, xy: np.ndarray) -> np.ndarray:
    """Atom index per building. A Party group's buildings form one atom, and so do the buildings on the
    shortest way between them when their cells do not touch: a grid holding the group must hold the
    way between, or it would come in pieces. Each atom is a connected set of cells."""
    n = len(ids)
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    def join(members) -> None:
        for m in members[1:]:
            parent[root(m)] = root(members[0])

    position = {b: i for i, b in enumerate(ids)}
    for group in groups:
        join([position[m] for m in group if m in position])
    i, j = cells.edges.T
    graph = sparse.coo_array((np.hypot(*(xy[i] - xy[j]).T) + 1e-3, (i, j)), shape=(n, n)).tocsr()
    for members in pd.Series(np.arange(n)).groupby([root(k) for k in range(n)]):
        connect_ways(members[1].to_numpy(), graph, join)
    return pd.factorize(np.array([root(k) for k in range(n)]))[0]


def connect_ways(members: np.ndarray, graph: sparse.csr_array, join) -> None:
    """Join to ``members`` the cells on the shortest ways linking its pieces."""
    if len(members) < 2:
        return
    _, pred = dijkstra(graph, directed=False, indices=int(members[0]), return_predecessors=True)
    for m in members[1:]:
        way, at = [], int(m)
        while at >= 0 and at != members[0]:
            way.append(at)
            at = int(pred[at])
        join([int(members[0])] + way)
