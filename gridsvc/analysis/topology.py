"""Grid-layer topology per community and side (domain.md rules 1–3): gaps, overlaps, grids
reaching outside their community, malformed codes. Geometry in a metric CRS, areas in m².

A *side* is ``party`` (party + unified grids) or ``governance`` (governance + unified grids).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridsvc.analysis.metrics import code_pattern
from gridsvc.analysis.scene import SIDES, Thresholds, text

CODE = re.compile(code_pattern("grid"))


def gap_polygons(community: shapely.Geometry, grids: list, min_width: float) -> list:
    """Parts of ``community`` no grid covers and wider than ``min_width`` (slivers are dropped).

    >>> import shapely
    >>> parts = gap_polygons(shapely.box(0, 0, 10, 10), [shapely.box(0, 0, 10, 8)], 1.0)
    >>> [round(p.area) for p in parts]
    [20]
    """
    covered = robust_union(np.asarray(grids, dtype=object)) if len(grids) else shapely.Polygon()
    parts, _ = _wide_parts(np.array([shapely.difference(community, covered)]), min_width)
    return list(parts)


def _wide_parts(holes: np.ndarray, min_width: float) -> tuple[np.ndarray, np.ndarray]:
    """Polygon parts of ``holes`` wider than ``min_width``, and the index of the hole each came from."""
    parts, index = shapely.get_parts(holes, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    parts, index = parts[polygon], index[polygon]
    wide = ~shapely.is_empty(shapely.buffer(parts, -min_width / 2))
    return parts[wide], index[wide]


def overlap_pairs(
    codes: list[str], geoms: list, min_area: float, groups: np.ndarray | None = None
) -> list[tuple[str, str, shapely.Geometry]]:
    """Pairs of grids (of the same group, if ``groups`` is given) overlapping by more than ``min_area``."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return []
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    if groups is not None:
        keep &= groups[left] == groups[right]
    left, right = left[keep], right[keep]
    overlaps = shapely.intersection(geoms[left], geoms[right])
    areas = shapely.area(overlaps)
    return [(codes[i], codes[j], o) for i, j, o, a in zip(left, right, overlaps, areas, strict=True) if a > min_area]


def community_topology(
    communities_m: gpd.GeoDataFrame, grids_m: gpd.GeoDataFrame, thresholds: Thresholds
) -> tuple[pd.DataFrame, list[dict]]:
    """Per community: gap and overlap areas per side; and one record per problem found.

    Records carry ``kind``, ``side``, ``community``, ``grid``, ``other``, ``area_m2`` and the
    problem's polygon in the metric CRS.
    """
    community_codes = communities_m["code"].to_numpy(dtype=object)
    community_geoms = communities_m.geometry.values.to_numpy()
    position = {code: i for i, code in enumerate(community_codes)}
    grid_codes = grids_m["code"].to_numpy(dtype=object)
    grid_geoms = grids_m.geometry.values.to_numpy()
    grid_community = np.array([position.get(c, -1) for c in grids_m["community_code"]], dtype=np.int64)
    layers = grids_m["layer"].to_numpy(dtype=object)
    table = pd.DataFrame({"community": text(community_codes)})
    problems: list[dict] = []
    for side, side_layers in SIDES.items():
        mine = np.isin(layers, side_layers) & (grid_community >= 0)
        gaps, gap_of = _gaps(community_geoms, grid_geoms[mine], grid_community[mine], thresholds.gap_width_m)
        table[f"gap_area_m2.{side}"] = np.bincount(gap_of, shapely.area(gaps), len(community_codes))
        problems += [
            {
                "kind": "grid_gap_area",
                "side": side,
                "community": community_codes[c],
                "grid": None,
                "other": None,
                "area_m2": g.area,
                "geometry": g,
            }
            for g, c in zip(gaps, gap_of, strict=True)
        ]
        codes, groups = grid_codes[mine], grid_community[mine]
        community_of = dict(zip(codes, groups, strict=True))
        overlap_area = np.zeros(len(community_codes))
        for a, b, o in overlap_pairs(list(codes), grid_geoms[mine], thresholds.overlap_m2, groups=groups):
            overlap_area[community_of[a]] += o.area
            problems.append(
                {
                    "kind": "grid_overlap",
                    "side": side,
                    "community": community_codes[community_of[a]],
                    "grid": a,
                    "other": b,
                    "area_m2": o.area,
                    "geometry": o,
                }
            )
        table[f"overlap_area_m2.{side}"] = overlap_area
    problems += _outside(community_codes, community_geoms, grid_codes, grid_geoms, grid_community, layers, thresholds)
    return table, problems + bad_codes(grids_m)


def _gaps(
    community_geoms: np.ndarray, geoms: np.ndarray, community: np.ndarray, min_width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gap polygons per community (what its grids leave uncovered), with each one's community index."""
    order = np.argsort(community, kind="stable")
    geoms, community = geoms[order], community[order]
    starts = np.searchsorted(community, np.arange(len(community_geoms)), side="left")
    ends = np.searchsorted(community, np.arange(len(community_geoms)), side="right")
    covered = np.array(
        [robust_union(geoms[s:e]) if e > s else shapely.Polygon() for s, e in zip(starts, ends, strict=True)],
        dtype=object,
    )
    return _wide_parts(shapely.difference(community_geoms, covered), min_width)


def robust_union(geoms: np.ndarray) -> shapely.Geometry:
    """Union of polygons; when floating-point noise (say from a CRS round trip) makes GEOS fail,
    the same union on a 1 mm grid."""
    try:
        return shapely.union_all(geoms)
    except shapely.errors.GEOSException:
        return shapely.union_all(shapely.make_valid(geoms), grid_size=0.001)


def _outside(
    community_codes, community_geoms, grid_codes, grid_geoms, grid_community, layers, thresholds: Thresholds
) -> list[dict]:
    known = grid_community >= 0
    outside = shapely.difference(grid_geoms[known], community_geoms[grid_community[known]])
    areas = shapely.area(outside)
    return [
        {
            "kind": "grid_outside_community",
            "side": _side_of(layer),
            "community": community_codes[c],
            "grid": g,
            "other": None,
            "area_m2": a,
            "geometry": o,
        }
        for g, layer, c, o, a in zip(
            grid_codes[known], layers[known], grid_community[known], outside, areas, strict=True
        )
        if a > thresholds.outside_m2
    ]


def _side_of(layer: str) -> str | None:
    return None if layer == "unified" else layer


def bad_codes(grids: gpd.GeoDataFrame) -> list[dict]:
    """Grids whose code is not 15 digits starting with their community's code (domain.md §2)."""
    problems = []
    for code, community, layer, geom in zip(
        grids["code"], grids["community_code"], grids["layer"], grids.geometry, strict=True
    ):
        if not CODE.fullmatch(code) or not code.startswith(community):
            problems.append(
                {
                    "kind": "bad_grid_code",
                    "side": _side_of(layer),
                    "community": community,
                    "grid": code,
                    "other": None,
                    "area_m2": None,
                    "geometry": geom,
                }
            )
    return problems
