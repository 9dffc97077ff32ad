"""Benchmark: grid-map HTML size and build time, vector-tile latency, for the demo district and a
generated 200,000-building city.

    python -m benchmarks.maps [--buildings 200000] [--grids 10000]

References in the same run: a plain folium map of the same grid's buildings (``GeoJson`` only), and
the same tile envelopes queried as GeoJSON (``ST_AsGeoJSON``) instead of ``ST_AsMVT``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time
from pathlib import Path

import folium
from sqlalchemy import text

from benchmarks.city import TABLES, generate_city
from gridsvc.db.engine import make_engine
from gridsvc.ingest.exchange import validate_dataset
from gridsvc.rendering.common import Basemap
from gridsvc.repository import read as repo
from gridsvc.services import imports, maps
from gridsvc.settings import Settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def busiest_grids(engine, district: str, n: int) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("""
            SELECT g.code FROM grids g JOIN buildings b ON ST_Intersects(g.geom, b.rep_point)
            WHERE g.valid_to IS NULL AND g.community_code LIKE :p AND g.layer <> 'party'
            GROUP BY g.code ORDER BY count(*) DESC, g.code LIMIT :n"""),
                {"p": district + "%", "n": n},
            ).scalars()
        )


def reference_map(engine, code: str) -> str:
    """What a hand-made folium map of the grid's buildings costs: one query, one GeoJson layer."""
    with engine.connect() as conn:
        buildings = repo.buildings(conn, grid=code)
    m = folium.Map(tiles=None)
    folium.GeoJson(buildings[["id", "households", "full_members", "geometry"]]).add_to(m)
    return m.get_root().render()


def grid_maps(engine, district: str, rounds: int = 5) -> None:
    codes = busiest_grids(engine, district, rounds)
    ours, sizes, refs = [], [], []
    for code in codes:
        start = time.perf_counter()
        page = maps.grid_map_html(engine, code, Basemap())
        ours.append(time.perf_counter() - start)
        sizes.append(len(page.encode()))
        start = time.perf_counter()
        reference_map(engine, code)
        refs.append(time.perf_counter() - start)
    print(
        f"  grid map: {statistics.median(sizes) / 1024:.0f} KB median (max {max(sizes) / 1024:.0f} KB; "
        f"target <= 300 KB), build {statistics.median(ours) * 1000:.0f} ms median (target <= 200 ms)"
    )
    print(
        f"  reference folium GeoJson map: {statistics.median(refs) * 1000:.0f} ms; "
        f"ratio {statistics.median(ours) / statistics.median(refs):.1f}"
    )


def tiles_of(bounds, z: int) -> list[tuple[int, int, int]]:
    west, south, east, north = bounds
    n = 2**z

    def tile(lon, lat):
        return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    (x0, y0), (x1, y1) = tile(west, north), tile(east, south)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def tile_sweep(engine, district: str, per_zoom: int = 60) -> None:
    with engine.connect() as conn:
        bounds = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM areas WHERE code LIKE :p) s"
            ),
            {"p": district + "%"},
        ).one()
    rng = random.Random(1)
    sample = []
    for z in range(14, 18):
        tiles = tiles_of(bounds, z)
        sample += rng.sample(tiles, min(per_zoom, len(tiles)))
    mvt, geojson, sizes = [], [], []
    with engine.connect() as conn:
        for z, x, y in sample:
            start = time.perf_counter()
            data = repo.vector_tile(conn, "buildings", z, x, y)[1]
            mvt.append(time.perf_counter() - start)
            sizes.append(len(data))
            start = time.perf_counter()
            conn.execute(
                text("""SELECT json_agg(ST_AsGeoJSON(b.*)::json) FROM
                                 (SELECT id, households, full_members, geom FROM buildings
                                  WHERE geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4490)) b"""),
                {"z": z, "x": x, "y": y},
            ).scalar()
            geojson.append(time.perf_counter() - start)
    print(
        f"  vector tiles z14–17 ({len(sample)} tiles): p50 {percentile(mvt, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(mvt, 0.95) * 1000:.1f} ms (target p95 <= 50 ms), max {max(sizes) / 1024:.0f} KB"
    )
    print(
        f"  reference GeoJSON of the same envelopes: p50 {percentile(geojson, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(geojson, 0.95) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local" / "share" / "gridsvc-bench"))
    engine = make_engine(Settings())
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    _, demo = imports.build_demo(engine, 20240501)
    print(f"demo district {demo.district_code}")
    grid_maps(engine, demo.district_code)
    tile_sweep(engine, demo.district_code)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    dataset = validate_dataset(generate_city(args.buildings, args.grids), "benchmark city")
    imports.import_dataset(engine, dataset, "benchmark city")
    print(f"generated city: {args.buildings:,} buildings, {args.grids:,} grids")
    grid_maps(engine, "4301")
    tile_sweep(engine, "4301")


if __name__ == "__main__":
    main()
