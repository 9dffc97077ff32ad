"""Benchmark: joint-branch suggestions (domain.md rule 16) and service-facility reach (§8.4) for
every district of the generated city, beside that district's coverage.

    python -m benchmarks.suggestions [--buildings 200000] [--grids 10000]

Stores the city unless it is there (benchmarks.city.ensure_city: 5 organizations per community, so
5,000 at 200,000 buildings); per district, the coverage (load + compute, the reference) and the
suggestion after it (candidates, enumeration, HiGHS), with the units, groups and candidate groups.
Then the reach of both facility levels on the district's scene, with a community centre in the
middle of every community and a grid station in the middle of every governance grid attached in
memory (the stored city holds neither): in a straight line, and walking along a street lattice
every 150 m (the network built and searched), with the share of buildings reached each way.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from benchmarks.city import ensure_city
from gridsvc.analysis.facilities import within_reach
from gridsvc.analysis.scene import Thresholds
from gridsvc.db.engine import make_engine
from gridsvc.repository.scene import load_scene
from gridsvc.services import coverage, suggestions
from gridsvc.settings import Settings

STREET_EVERY_M = 150.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local" / "share" / "gridsvc-bench"))
    engine = make_engine(Settings())
    ensure_city(engine, args.buildings, args.grids)
    districts = [d["area"]["code"] for d in coverage.coverage(engine).tree()]
    totals = [0.0, 0.0]
    print(
        f"{'district':<10}{'coverage s':>12}{'suggest s':>11}{'units':>7}{'groups':>8}{'placed':>8}{'candidates':>12}"
    )
    for district in districts:
        coverage._COVERAGE_CACHE.clear()  # each district's coverage computed afresh, as a first request would
        t = time.perf_counter()
        coverage.coverage(engine, district)
        covered = time.perf_counter() - t
        t = time.perf_counter()
        found = suggestions.joint_branches(engine, district)
        suggested = time.perf_counter() - t
        totals[0] += covered
        totals[1] += suggested
        placed = sum(len(g["units"]) for g in found["groups"])
        print(
            f"{district:<10}{covered:>12.2f}{suggested:>11.2f}{found['units']:>7}{len(found['groups']):>8}"
            f"{placed:>8}{found['candidate_groups']:>12,}" + ("" if found["optimal"] else "  (time limit hit)")
        )
    print(
        f"{'total':<10}{totals[0]:>12.2f}{totals[1]:>11.2f}   ratio suggestions / coverage {totals[1] / totals[0]:.1f}"
    )
    reach(engine, districts, totals[0])


def reach(engine, districts: list[str], coverage_seconds: float) -> None:
    """Both facility levels' reach per district, straight and walking, beside the coverage time."""
    print(
        f"\n{'district':<10}{'buildings':>10}{'sites':>7}{'straight s':>11}{'walk s':>8}"
        f"{'centre reached (straight/walk)':>32}{'station reached':>17}"
    )
    totals = [0.0, 0.0]
    for district in districts:
        with engine.connect() as conn:
            scene = load_scene(conn, district)
        scene.facilities = _facilities(scene)
        scene.facility_data = True
        t = time.perf_counter()
        straight = [within_reach(scene, Thresholds(), level) for level in ("community_centre", "grid_station")]
        flat = time.perf_counter() - t
        scene.roads, scene._network = _streets(scene), None
        t = time.perf_counter()
        walked = [within_reach(scene, Thresholds(), level) for level in ("community_centre", "grid_station")]
        walk = time.perf_counter() - t
        totals[0] += flat
        totals[1] += walk
        share = [f"{np.mean(r):.0%}/{np.mean(w):.0%}" for r, w in zip(straight, walked, strict=True)]
        print(
            f"{district:<10}{len(scene.buildings):>10,}{len(scene.facilities):>7}{flat:>11.2f}{walk:>8.2f}"
            f"{share[0]:>32}{share[1]:>17}"
        )
    print(
        f"{'total':<10}{'':>17}{totals[0]:>11.2f}{totals[1]:>8.2f}   "
        f"coverage of the same districts {coverage_seconds:.2f} s; ratios {totals[0] / coverage_seconds:.2f} "
        f"(straight), {totals[1] / coverage_seconds:.2f} (walking)"
    )


def _facilities(scene) -> gpd.GeoDataFrame:
    """A community centre in every community, a grid station in every governance grid (centres)."""
    grids = scene.grids[scene.grids["layer"] != "party"]
    points = np.concatenate(
        [shapely.point_on_surface(scene.communities.geometry.values), shapely.point_on_surface(grids.geometry.values)]
    )
    levels = ["community_centre"] * len(scene.communities) + ["grid_station"] * len(grids)
    return gpd.GeoDataFrame(
        {"id": [f"f{i}" for i in range(len(points))], "name": "设施", "level": levels, "floor_area": 300},
        geometry=gpd.GeoSeries(points, crs=4490),
    )


def _streets(scene) -> gpd.GeoDataFrame:
    """A lattice of streets every 150 m over the district (in its metric CRS)."""
    w, s, e, n = scene.communities.to_crs(scene.crs).total_bounds
    xs, ys = np.arange(w, e + 1, STREET_EVERY_M), np.arange(s, n + 1, STREET_EVERY_M)
    lines = [shapely.LineString([(x, s), (x, n)]) for x in xs] + [shapely.LineString([(w, y), (e, y)]) for y in ys]
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries(lines, crs=scene.crs)).to_crs(4490)


if __name__ == "__main__":
    main()
