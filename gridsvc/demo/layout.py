"""Generated geography in metres: a street network, building rows, community and grid rectangles.

Nothing here is real. Coordinates are in the metric CRS of the demo district and are converted to
EPSG:4490 once, when the demo dataset is assembled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

Rect = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax


@dataclass(frozen=True)
class DistrictShape:
    """3 streets side by side, each 2 × 2 communities, each cut by local roads into blocks."""

    streets: int = 3
    communities_x: int = 2
    communities_y: int = 2
    community_w: float = 640.0
    community_h: float = 560.0
    blocks_x: int = 4
    blocks_y: int = 4
    road_half_width: float = 9.0

    @property
    def width(self) -> float:
        return self.streets * self.communities_x * self.community_w

    @property
    def height(self) -> float:
        return self.communities_y * self.community_h


def community_rects(bounds: Rect, streets: int, per_street_x: int, per_street_y: int) -> list[list[Rect]]:
    """Community rectangles per street: streets side by side west→east, communities north→south."""
    x0, y0, x1, y1 = bounds
    cols = streets * per_street_x
    w, h = (x1 - x0) / cols, (y1 - y0) / per_street_y
    out = []
    for s in range(streets):
        rects = []
        for row in range(per_street_y):  # north first
            for col in range(per_street_x):
                cx = x0 + (s * per_street_x + col) * w
                cy = y1 - (row + 1) * h
                rects.append((cx, cy, cx + w, cy + h))
        out.append(rects)
    return out


def road_lines(shape: DistrictShape) -> list[tuple[str, str, shapely.LineString]]:
    """(kind, name, line) for arterial roads on community edges and local roads between blocks."""
    lines = []
    bw = shape.community_w / shape.blocks_x
    bh = shape.community_h / shape.blocks_y
    nx = round(shape.width / bw)
    ny = round(shape.height / bh)
    for i in range(nx + 1):
        x = i * bw
        arterial = i % shape.blocks_x == 0
        lines.append(
            (
                "primary" if arterial else "residential",
                f"{'经' if arterial else '纵'}{i + 1}路",
                shapely.LineString([(x, 0), (x, shape.height)]),
            )
        )
    for j in range(ny + 1):
        y = j * bh
        arterial = j % shape.blocks_y == 0
        lines.append(
            (
                "primary" if arterial else "residential",
                f"{'纬' if arterial else '横'}{j + 1}路",
                shapely.LineString([(0, y), (shape.width, y)]),
            )
        )
    return lines


def building_footprints(shape: DistrictShape, rng: np.random.Generator) -> list[tuple[shapely.Polygon, str]]:
    """Footprints laid in rows inside each block, south-facing slabs with jitter; (polygon, kind).

    ``kind`` is ``slab`` (a residential row), ``tower``, or ``large`` (offices, shops, schools).
    """
    out: list[tuple[shapely.Polygon, str]] = []
    bw = shape.community_w / shape.blocks_x
    bh = shape.community_h / shape.blocks_y
    setback = shape.road_half_width + 6.0
    for bx in range(round(shape.width / bw)):
        for by in range(round(shape.height / bh)):
            x0, y0 = bx * bw + setback, by * bh + setback
            x1, y1 = (bx + 1) * bw - setback, (by + 1) * bh - setback
            if rng.random() < 0.12:
                out += _large_block(x0, y0, x1, y1, rng)
            else:
                out += _residential_block(x0, y0, x1, y1, rng)
    return out


def _residential_block(x0, y0, x1, y1, rng) -> list[tuple[shapely.Polygon, str]]:
    out = []
    row_depth, row_gap = 11.0, 14.0
    y = y0
    while y + row_depth <= y1:
        x = x0
        while True:
            length = rng.uniform(24, 38)
            if x + length > x1:
                break
            if rng.random() > 0.08:  # some plots are open space
                jitter = rng.normal(0, 0.8, 2)
                kind = "tower" if rng.random() < 0.06 else "slab"
                w = 24.0 if kind == "tower" else length
                poly = shapely.box(x + jitter[0], y + jitter[1], x + jitter[0] + w, y + jitter[1] + row_depth)
                out.append((poly, kind))
            x += length + rng.uniform(6, 10)
        y += row_depth + row_gap
    return out


def _large_block(x0, y0, x1, y1, rng) -> list[tuple[shapely.Polygon, str]]:
    out = []
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    for qx0, qx1 in ((x0, mx - 5), (mx + 5, x1)):
        for qy0, qy1 in ((y0, my - 5), (my + 5, y1)):
            if rng.random() < 0.8:
                sx, sy = rng.uniform(0.55, 0.9), rng.uniform(0.55, 0.9)
                out.append((shapely.box(qx0, qy0, qx0 + (qx1 - qx0) * sx, qy0 + (qy1 - qy0) * sy), "large"))
    return out


def kd_partition(
    rect: Rect,
    points: np.ndarray,
    weights: np.ndarray,
    k: int,
    footprints: np.ndarray | None = None,
    first_axis: int | None = None,
    depth: int = 0,
) -> list[Rect]:
    """Cut ``rect`` into ``k`` rectangles holding about equal ``weights`` of ``points``.

    Each cut is along the longer side (``first_axis`` forces the first). With ``footprints``
    (shapely bounds, n × 4) a cut moves, within 15 % of the side, to where it crosses the fewest
    buildings, as a planner follows streets; without, it lands exactly where the weights balance.
    """
    if k <= 1:
        return [rect]
    x0, y0, x1, y1 = rect
    axis = first_axis if (first_axis is not None and depth == 0) else (0 if x1 - x0 >= y1 - y0 else 1)
    lo, hi = (x0, x1) if axis == 0 else (y0, y1)
    k_low = k // 2
    cut = _balanced_cut(points[:, axis], weights, k_low / k, lo, hi)
    if footprints is not None and len(footprints):
        cut = _quiet_cut(cut, footprints, axis, lo, hi)
    below = points[:, axis] < cut
    low_rect = (x0, y0, cut, y1) if axis == 0 else (x0, y0, x1, cut)
    high_rect = (cut, y0, x1, y1) if axis == 0 else (x0, cut, x1, y1)
    fp_low = footprints[footprints[:, axis] < cut] if footprints is not None else None
    fp_high = footprints[footprints[:, axis + 2] > cut] if footprints is not None else None
    return kd_partition(low_rect, points[below], weights[below], k_low, fp_low, depth=depth + 1) + kd_partition(
        high_rect, points[~below], weights[~below], k - k_low, fp_high, depth=depth + 1
    )


def _balanced_cut(coords: np.ndarray, weights: np.ndarray, fraction: float, lo: float, hi: float) -> float:
    if len(coords) == 0 or weights.sum() <= 0:
        return lo + (hi - lo) * fraction
    order = np.argsort(coords)
    cum = np.cumsum(weights[order]) / weights.sum()
    i = int(np.searchsorted(cum, fraction))
    i = min(max(i, 0), len(coords) - 1)
    return float(np.clip(coords[order][i], lo + 1.0, hi - 1.0))


def _quiet_cut(cut: float, footprints: np.ndarray, axis: int, lo: float, hi: float) -> float:
    window = 0.15 * (hi - lo)
    candidates = np.linspace(max(lo + 1, cut - window), min(hi - 1, cut + window), 61)
    mins, maxs = footprints[:, axis], footprints[:, axis + 2]
    crossings = ((mins[None, :] < candidates[:, None]) & (maxs[None, :] > candidates[:, None])).sum(axis=1)
    score = crossings * (hi - lo) + np.abs(candidates - cut)
    return float(candidates[np.argmin(score)])
