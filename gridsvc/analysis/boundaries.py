"""A proposed layout's grid polygons that keep today's governance boundaries wherever no building
changes grid: only the land of buildings that move is redrawn.

The community is cut into pieces: each building's cell (:mod:`gridsvc.analysis.cells`) within each
governance grid (the live grids clipped to the community, overlaps to the first; the land no grid
covers is one more piece, ``rest``). A piece goes

- with its building, when the building lives in that governance grid (its representative point is
  there), or the piece is in ``rest``, or the grid it lies in is closed by the layout;
- otherwise (a cell reaching over a boundary) it stays with the grid it lies in, but for the land
  within :data:`BEND_M` of its building when today's line cuts the building (more than
  :attr:`~gridsvc.analysis.scene.Thresholds.split_fraction` of the footprint outside the grid of its
  representative point, domain.md rule 5): that goes with the building, so the line bends around it.

So a grid whose buildings all stay, that gains none and whose line cuts none is exactly its live
polygon, and the pieces tile the community as the cells do: no gaps, no overlaps, no building split. Where the result would
leave a grid in pieces, the caller falls back to unions of whole cells. The boundaries redrawn
between grids are then pulled taut around the houses (:mod:`gridsvc.analysis.straighten`).
"""

from __future__ import annotations

import numpy as np
import shapely

from gridsvc.analysis.assignment import assign_buildings
from gridsvc.analysis.objective import Candidate, inner_boundary
from gridsvc.analysis.scene import Thresholds
from gridsvc.analysis.straighten import pulled_taut

SLIVER = 1.0  # m²: a part smaller than this is not a piece of its own
# the pieces of grids a line bends between are unioned on a micrometre grid: a notch cut around a house
# meets the house's land across the line 1e-11 m apart (new vertices on the line, computed twice),
# which a plain union leaves as two parts
UNION_GRID_M = 1e-6
BEND_M = 1.0  # a line bent around a house it cut passes this far from the wall
SPIKE_M = 0.01  # an outline running out and back closer than this is a spike, not land


def base_tiles(area: shapely.Geometry, governance: dict[str, shapely.Geometry]) -> dict[str | None, shapely.Geometry]:
    """The live governance grids clipped to the community, overlaps to the first (by code), and the
    uncovered land under ``None``."""
    tiles: dict[str | None, shapely.Geometry] = {}
    taken = shapely.Polygon()
    for code in sorted(governance):
        tile = clean_parts(shapely.difference(shapely.intersection(governance[code], area), taken))
        if tile.area > SLIVER:
            tiles[code] = tile
            taken = shapely.union(taken, tile)
    rest = clean_parts(shapely.difference(area, taken))
    if rest.area > SLIVER:
        tiles[None] = rest
    return tiles


def tiled_boundary(area: shapely.Geometry, grids: dict[str, shapely.Geometry]) -> float:
    """Metres of boundary between ``grids`` as they tile ``area`` (:func:`base_tiles`: clipped,
    overlaps to the first by code, so an overlap's strip is not counted twice; land outside every
    grid is one more tile, its edge with the grids counted as boundary)."""
    return inner_boundary(base_tiles(area, grids).values(), area) if grids else 0.0


def grid_shapes(
    area: shapely.Geometry,
    cells: np.ndarray,
    rep_points: np.ndarray,
    grid_of_building: np.ndarray,
    candidates: list[Candidate],
    governance: dict[str, shapely.Geometry],
    footprints=None,
    roads=None,
    split_fraction: float = Thresholds.split_fraction,
) -> dict[int, shapely.Geometry] | None:
    """Candidate index -> polygon for the grids the layout holds, or None when a grid would come in
    pieces (then the caller unions whole cells); with ``footprints``, a line of today's that cuts a
    building bends around it, and the boundaries redrawn are pulled taut around the footprints, not
    crossing ``roads``."""
    tiles = base_tiles(area, governance)
    cut = np.zeros(len(rep_points), dtype=bool)
    if footprints is not None and tiles:
        footprints = np.asarray(footprints, dtype=object)
        _, cut = assign_buildings(rep_points, footprints, np.arange(len(tiles)), list(tiles.values()), split_fraction)
    held = set(np.unique(grid_of_building).tolist())
    parts, unchanged, bent = _shared_out(tiles, cells, rep_points, grid_of_building, candidates, held, footprints, cut)
    shapes = {}
    for k in held:
        c = candidates[k]
        if unchanged[k] and c.governance in tiles:
            shapes[k] = tiles[c.governance]
        else:
            union = shapely.union_all(parts[k], grid_size=UNION_GRID_M if k in bent else None)
            shapes[k] = clean_parts(shapely.make_valid(union))
            if shapely.get_num_geometries(shapes[k]) != 1:
                return None
    if footprints is None or all(unchanged[k] and candidates[k].governance in tiles for k in held):
        return shapes  # nothing redrawn: nothing to pull taut
    return pulled_taut(shapes, live_lines(area, tiles.values()), footprints, roads)


def _shared_out(tiles, cells, rep_points, grid_of_building, candidates, held, footprints, cut):
    """Each grid's pieces (see the module docstring), whether it is its live tile unchanged, and the
    grids a line bends between."""
    index = {c.governance: k for k, c in enumerate(candidates) if c.governance}
    parts: dict[int, list[shapely.Geometry]] = {k: [] for k in held}
    unchanged = {k: True for k in held}
    bent: set[int] = set()
    for code, tile in tiles.items():
        owner = index.get(code) if code is not None else None
        open_ = owner is not None and owner in held
        home = shapely.contains(tile, rep_points)
        hits = np.flatnonzero(shapely.intersects(cells, tile))
        pieces = shapely.intersection(cells[hits], tile)
        for i, piece in zip(hits, pieces, strict=True):
            if piece.area <= SLIVER:
                continue
            mine = int(grid_of_building[i])
            goes = mine if (home[i] or not open_) else owner
            if goes == owner and cut[i] and mine != owner:  # today's line cuts the house: bend around it
                bite = _around(piece, footprints[i])
                parts[mine].append(bite)
                unchanged[mine] = unchanged[owner] = False
                bent |= {mine, owner}
                piece = shapely.difference(piece, bite)
            if goes != owner:
                unchanged[goes] = False
                if open_:
                    unchanged[owner] = False
            parts[goes].append(piece)
    return parts, unchanged, bent


def _around(piece: shapely.Geometry, footprint: shapely.Geometry) -> shapely.Geometry:
    """The land of ``piece`` within :data:`BEND_M` of a house that today's line cuts: the notch the line
    bends around it by (not the house's whole cell across the line, which along roads is a block)."""
    return shapely.intersection(piece, shapely.buffer(footprint, BEND_M, join_style="mitre"))


def live_lines(area: shapely.Geometry, tiles) -> shapely.Geometry:
    """The lines a redrawn layout keeps: the community's outline and today's boundaries in it."""
    return shapely.union_all([shapely.boundary(area), *(shapely.boundary(t) for t in tiles)])


def clean_parts(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal parts bigger than a sliver, without holes smaller than one, and without spikes
    (a union can leave lines, dust, zero-width holes along a shared edge, or an outline running out
    and back along one line: all count as boundary and draw as stray lines)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and g.area > SLIVER]
    polygons = [_unspiked(p) for g in parts for p in shapely.get_parts(g)]
    return shapely.MultiPolygon(
        [shapely.Polygon(p.exterior, [r for r in p.interiors if shapely.Polygon(r).area > SLIVER]) for p in polygons]
    )


def _unspiked(polygon: shapely.Polygon) -> shapely.Polygon:
    """``polygon`` without spikes: vertices where the outline turns back on itself with the arms less
    than :data:`SPIKE_M` apart (the polygon as it was if that would leave it invalid).

    >>> spiked = shapely.Polygon([(0, 0), (10, 0), (10, 5), (30, 5), (10, 5.000001), (10, 10), (0, 10)])
    >>> round(spiked.length), round(_unspiked(spiked).length), round(_unspiked(spiked).area, 3)
    (80, 40, 100.0)
    """
    rings = [_ring_unspiked(shapely.get_coordinates(r)[:-1]) for r in (polygon.exterior, *polygon.interiors)]
    if len(rings[0]) < 3:
        return polygon
    out = shapely.Polygon(rings[0], [r for r in rings[1:] if len(r) >= 3])
    return out if out.is_valid else polygon


def _ring_unspiked(points: np.ndarray) -> np.ndarray:
    while len(points) > 3:
        before, after = points - np.roll(points, 1, axis=0), np.roll(points, -1, axis=0) - points
        longer = np.maximum(np.hypot(*before.T), np.hypot(*after.T))
        width = np.abs(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]) / np.maximum(longer, 1e-12)
        tip = (((before * after).sum(axis=1) < 0) & (width < SPIKE_M)) | (np.hypot(*after.T) == 0)
        tip &= ~np.roll(tip, 1)  # one of two neighbouring tips at a time
        if not tip.any():
            break
        points = points[~tip]
    return points
