"""Benchmark: import 200,000 generated footprints with gridsvc, and the same file with ogr2ogr.

    python -m benchmarks.import_buildings [--buildings 200000]

Both load the same GeoPackage into the same PostGIS in the same run; the ratio is what counts
(an absolute time depends on the machine). gridsvc does more than ogr2ogr: it checks every row,
computes representative points and upserts into indexed tables. Uses the benchmark's own database
(GRIDSVC_HOME defaults to ~/.local/share/gridsvc-bench) unless GRIDSVC_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from sqlalchemy import make_url, text

from gridsvc.db.engine import make_engine
from gridsvc.services import imports
from gridsvc.settings import Settings

ORIGIN = (118.70, 31.95)  # lon/lat of the generated city's south-west corner


def generate(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` rectangular footprints on a 25 m lattice with jitter, mostly residential."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = (i % side) * 25.0 + rng.uniform(0, 4, n)
    y = (i // side) * 25.0 + rng.uniform(0, 4, n)
    w, h = rng.uniform(10, 18, n), rng.uniform(8, 14, n)
    lon0, lat0 = ORIGIN
    boxes = shapely.box(lon0 + x / 94_400, lat0 + y / 110_900, lon0 + (x + w) / 94_400, lat0 + (y + h) / 110_900)
    floors = rng.choice([3, 4, 5, 6, 6, 11, 18], n)
    units = rng.choice([1, 2, 2, 3], n)
    households = floors * units * 2
    residents = np.round(households * rng.uniform(2.3, 2.9, n)).astype(int)
    return gpd.GeoDataFrame(
        {
            "id": [f"bench-{k:06d}" for k in i],
            "use": rng.choice(["residential"] * 8 + ["commercial", "office"], n),
            "floors": floors,
            "units": units,
            "households": households,
            "residents": residents,
            "full_members": rng.binomial(residents, 0.064),
            "probationary_members": rng.binomial(residents, 0.006),
        },
        geometry=boxes,
        crs=4490,
    )


def check(result: imports.ImportResult, inserted: int) -> None:
    counts = result.counts["buildings"]
    assert counts.inserted == inserted and counts.updated == 0, counts


def ogr_connection(url: str) -> str:
    u = make_url(url)
    parts = [f"dbname={u.database}"]
    host = u.query.get("host") or u.host
    if host:
        parts.append(f"host={host}")
    if u.port:
        parts.append(f"port={u.port}")
    if u.username:
        parts.append(f"user={u.username}")
    if u.password:
        parts.append(f"password={u.password}")
    return "PG:" + " ".join(parts)


def seconds(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def report(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(f"{label:<40} median {median:6.2f} s   runs {' '.join(f'{t:.2f}' for t in times)}")
    return median


class ReaderProbe:
    """A reader querying buildings by bounding box every 20 ms from its own connection while an
    import runs; ``longest`` is its longest query, which an exclusive lock would stretch."""

    def __init__(self, engine):
        self.engine, self.longest, self._stop = engine, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        sql = text(
            "SELECT count(*) FROM buildings WHERE geom && "
            f"ST_MakeEnvelope({ORIGIN[0]}, {ORIGIN[1]}, {ORIGIN[0] + 0.01}, {ORIGIN[1] + 0.01}, 4490)"
        )
        with self.engine.connect() as conn:
            while not self._stop.is_set():
                started = time.perf_counter()
                conn.execute(sql).scalar()
                conn.commit()
                self.longest = max(self.longest, time.perf_counter() - started)
                time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each loader")
    args = parser.parse_args()
    if not shutil.which("ogr2ogr"):
        raise SystemExit("ogr2ogr not found: apt-get install -y gdal-bin")
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local" / "share" / "gridsvc-bench"))
    settings = Settings()
    engine = make_engine(settings)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE buildings, organizations, imports CASCADE"))
        conn.execute(text("DROP TABLE IF EXISTS ogr_buildings"))
    workdir = Path(tempfile.mkdtemp(prefix="gridsvc-bench-"))
    path = workdir / "buildings.gpkg"
    frame = generate(args.buildings)
    pyogrio.write_dataframe(frame, path, layer="buildings", driver="GPKG")
    print(f"{args.buildings:,} footprints in {path} ({path.stat().st_size / 1e6:.1f} MB)")
    cmd = [
        "ogr2ogr",
        "-f",
        "PostgreSQL",
        ogr_connection(engine.url.render_as_string(hide_password=False)),
        str(path),
        "buildings",
        "-nln",
        "ogr_buildings",
        "-overwrite",
        "-lco",
        "GEOMETRY_NAME=geom",
        "-lco",
        "SPATIAL_INDEX=GIST",
        "--config",
        "PG_USE_COPY",
        "YES",
    ]
    first, again, reference, waits = [], [], [], []
    for _ in range(args.rounds):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE buildings CASCADE"))
        first.append(seconds(lambda: check(imports.import_file(engine, path), inserted=args.buildings)))
        with ReaderProbe(engine) as probe:
            again.append(seconds(lambda: check(imports.import_file(engine, path), inserted=0)))
        waits.append(probe.longest)
        reference.append(seconds(lambda: subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)))
    with engine.connect() as conn:
        loaded = conn.scalar(text("SELECT count(*) FROM ogr_buildings"))
    assert loaded == args.buildings, loaded
    ours = report("gridsvc import (check, upsert, indexes)", first)
    re_import = report("gridsvc re-import (nothing changes)", again)
    ogr = report("ogr2ogr (plain COPY, one GiST index)", reference)
    print(f"ratio gridsvc / ogr2ogr:   {ours / ogr:.2f}  (target <= 1.5)")
    print(f"ratio re-import / ogr2ogr: {re_import / ogr:.2f}")
    print(f"longest wait of a map reader during the re-import: {max(waits) * 1000:.0f} ms (was ~3 s: indexes rebuilt)")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE ogr_buildings"))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
