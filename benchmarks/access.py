"""Benchmark: what row-level security costs a scoped caller, on the generated city.

    python -m benchmarks.access [--rounds 5]

For a district, a street, a community and a grid of the city that ``python -m benchmarks.coverage``
stores (200,000 buildings in ~/.local/share/gridsvc-bench, or GRIDSVC_DATABASE_URL), times the same
work twice in one process: as the unrestricted owner (the reference: no policies apply) and as a
viewer scoped to that area (every row passes its policy). The work: the area's coverage (scene
loaded from PostGIS and every metric computed, cache emptied), the buildings list of its first
community (or its grid), and a zoom-14 building tile at its centre. The ratio scoped / owner is the
price of the database's enforcement.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks.load import tile_of
from gridsvc.db.engine import make_engine
from gridsvc.repository import read as repo
from gridsvc.services import access
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings


def _areas(engine) -> dict[str, str]:
    with engine.connect() as conn:
        grid = conn.scalar(text("SELECT min(code) FROM grids WHERE valid_to IS NULL"))
        count = conn.scalar(text("SELECT count(*) FROM buildings"))
    if not grid or count < 10_000:
        raise SystemExit("no city stored: run `python -m benchmarks.coverage` first")
    return {"district": grid[:6], "street": grid[:9], "community": grid[:12], "grid": grid}


def _tile_at(engine, area: str, z: int = 14) -> tuple[int, int, int]:
    table = "grids WHERE valid_to IS NULL AND code" if len(area) == 15 else "areas WHERE code"
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(f"SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM {table} = :a) s"), {"a": area}
        ).one()
    return z, *tile_of(lon, lat, z)


def _work(db, area: str, tile: tuple[int, int, int]) -> dict[str, float]:
    out = {}
    coverage_service._COVERAGE_CACHE.clear()
    t = time.perf_counter()
    coverage_service.coverage(db, area)
    out["coverage"] = time.perf_counter() - t
    t = time.perf_counter()
    with db.connect() as conn:
        if len(area) == 15:
            rows = len(repo.buildings(conn, grid=area))
        else:
            rows = len(
                repo.buildings(
                    conn,
                    community=area[:12]
                    if len(area) >= 12
                    else conn.scalar(
                        text("SELECT min(code) FROM areas WHERE level = 'community' AND code LIKE :p"),
                        {"p": area + "%"},
                    ),
                )
            )
    out["buildings list"] = time.perf_counter() - t
    t = time.perf_counter()
    with db.connect() as conn:
        repo.vector_tile(conn, "buildings", *tile)[1]
    out["tile z14"] = time.perf_counter() - t
    out["_rows"] = rows
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local" / "share" / "gridsvc-bench"))
    engine = make_engine(Settings())
    print(f"{'scope':<26}{'work':<16}{'owner (ref)':>12}{'scoped':>10}{'ratio':>8}")
    for level, area in _areas(engine).items():
        tile = _tile_at(engine, area)
        owner = access.scoped(engine, access.local_admin())
        viewer = access.scoped(engine, access.Principal("bench", "viewer", area, identified=True))
        runs: dict[str, dict[str, list[float]]] = {"owner": {}, "scoped": {}}
        for round_ in range(args.rounds + 1):  # the first round warms caches
            for who, db in (("owner", owner), ("scoped", viewer)):
                figures = _work(db, area, tile)
                if round_:
                    for key, value in figures.items():
                        runs[who].setdefault(key, []).append(value)
        for key in ("coverage", "buildings list", "tile z14"):
            ref, ours = statistics.median(runs["owner"][key]), statistics.median(runs["scoped"][key])
            print(f"{level + ' ' + area:<26}{key:<16}{ref:>11.3f}s{ours:>9.3f}s{ours / ref:>8.2f}")
        assert runs["owner"]["_rows"] == runs["scoped"]["_rows"], "the scoped list must hold the same buildings"


if __name__ == "__main__":
    main()
