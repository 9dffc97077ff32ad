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

from gridsvc.analysis.scene import SIDES, Thresholds

CODE = re.compile(r"\d{15}")


def gap_polygons(community: shapely.Geometry, grids: list, min_width: float) -> list:
    """Parts of ``community`` no grid covers and wider than ``min_width`` (slivers are dropped).

    >>> import shapely
    >>> parts = gap_polygons(shapely.box(0, 0, 10, 10), [shapely.box(0, 0, 10, 8)], 1.0)
    >>> [round(p.area) for p in parts]
    [20]
    """
    covered = shapely.union_all(grids) if len(grids) else shapely.Polygon()
    parts = shapely.get_parts(shapely.difference(community, covered))
    parts = parts[shapely.get_type_id(parts) == 3]
    wide = ~shapely.is_empty(shapely.buffer(parts, -min_width / 2))
    return list(parts[wide])


def overlap_pairs(codes: list[str], geoms: list, min_area: float) -> list[tuple[str, str, shapely.Geometry]]:
    """Pairs of grids overlapping by more than ``min_area``, with the overlap."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return []
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    overlaps = shapely.intersection(geoms[left], geoms[right])
    areas = shapely.area(overlaps)
    return [(codes[i], codes[j], o) for i, j, o, a in zip(left, right, overlaps, areas, strict=True)
            if a > min_area]


def community_topology(communities_m: gpd.GeoDataFrame, grids_m: gpd.GeoDataFrame,
                       thresholds: Thresholds) -> tuple[pd.DataFrame, list[dict]]:
    """Per community: gap and overlap areas per side; and one record per problem found.

    Records carry ``kind``, ``side``, ``community``, ``grid``, ``other``, ``area_m2`` and the
    problem's polygon in the metric CRS.
    """
    rows, problems = [], []
    grids_by_community = {c: g for c, g in grids_m.groupby("community_code")}
    empty = grids_m.iloc[:0]
    for code, community in zip(communities_m["code"], communities_m.geometry, strict=True):
        mine = grids_by_community.get(code, empty)
        row = {"community": code}
        for side, layers in SIDES.items():
            side_grids = mine[mine["layer"].isin(layers)]
            gaps = gap_polygons(community, list(side_grids.geometry), thresholds.gap_width_m)
            overlaps = overlap_pairs(side_grids["code"].tolist(), list(side_grids.geometry), thresholds.overlap_m2)
            row[f"gap_area_m2.{side}"] = float(sum(g.area for g in gaps))
            row[f"overlap_area_m2.{side}"] = float(sum(o.area for _, _, o in overlaps))
            problems += [{"kind": "grid_gap_area", "side": side, "community": code, "grid": None, "other": None,
                          "area_m2": g.area, "geometry": g} for g in gaps]
            problems += [{"kind": "grid_overlap", "side": side, "community": code, "grid": a, "other": b,
                          "area_m2": o.area, "geometry": o} for a, b, o in overlaps]
        rows.append(row)
        problems += _outside(code, community, mine, thresholds)
    return pd.DataFrame(rows), problems + bad_codes(grids_m)


def _outside(code: str, community, grids: gpd.GeoDataFrame, thresholds: Thresholds) -> list[dict]:
    if grids.empty:
        return []
    outside = shapely.difference(grids.geometry.values.to_numpy(), community)
    areas = shapely.area(outside)
    return [{"kind": "grid_outside_community", "side": _side_of(layer), "community": code, "grid": g,
             "other": None, "area_m2": a, "geometry": o}
            for g, layer, o, a in zip(grids["code"], grids["layer"], outside, areas, strict=True)
            if a > thresholds.outside_m2]


def _side_of(layer: str) -> str | None:
    return None if layer == "unified" else layer


def bad_codes(grids: gpd.GeoDataFrame) -> list[dict]:
    """Grids whose code is not 15 digits starting with their community's code (domain.md §2)."""
    problems = []
    for code, community, layer, geom in zip(grids["code"], grids["community_code"], grids["layer"],
                                            grids.geometry, strict=True):
        if not CODE.fullmatch(code) or not code.startswith(community):
            problems.append({"kind": "bad_grid_code", "side": _side_of(layer), "community": community,
                             "grid": code, "other": None, "area_m2": None, "geometry": geom})
    return problems
