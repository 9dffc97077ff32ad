"""Benchmark: the full coverage tree and gap list of a generated city, against a plain geopandas pipeline.

    python -m benchmarks.coverage [--buildings 200000] [--grids 10000] [--workers 2]

Stores a generated city (two grid layers, organizations, Party organizations, staff) in the
benchmark's PostGIS unless it is there already, then times in one process:

- gridsvc whole: load the scene from PostGIS + every metric at every level + the gap list + the
  JSON tree as the API writes it (``gridsvc.jsonbody``) (skipped above 500,000 buildings: a
  province is computed in parts, below);
- the reference, written directly with geopandas: the buildings' points and the grids read from the
  same PostGIS (``read_postgis``), ``sjoin``-ed to each layer's grids, ``groupby`` sums per grid and
  community. It computes far less (no topology, staff, organizations or gaps); the ratio says what
  the whole engine costs next to it: the ratio of the medians, and the median of each round's ratio
  (the two sides of a round run seconds apart, so a machine's drift between rounds cancels);
- gridsvc in parts: the same tree and gap list cut by district, on ``--workers`` local Dask workers
  (``gridsvc batch coverage``), each part's gap list brought back to this process, with the peak
  memory of this process and of the largest worker.

Uses GRIDSVC_HOME=~/.local/share/gridsvc-bench unless GRIDSVC_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from benchmarks.city import ensure_city
from gridsvc import jsonbody
from gridsvc.analysis.bulk import paused
from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.scene import SIDES
from gridsvc.db.engine import make_engine
from gridsvc.repository.scene import load_scene
from gridsvc.services import batch
from gridsvc.settings import Settings

WHOLE_AT_MOST = 500_000  # buildings computed in one piece; above, only in parts


def reference(engine) -> pd.DataFrame:
    """The minimal pipeline: building points joined to grids, summed per grid and per community."""
    with engine.connect() as conn:
        points = gpd.read_postgis(
            "SELECT id, households, full_members, use, rep_point FROM buildings", conn, geom_col="rep_point"
        )
        all_grids = gpd.read_postgis(
            "SELECT code, community_code, layer, geom FROM grids WHERE valid_to IS NULL", conn, geom_col="geom"
        )
    points["eligible"] = (points["use"] == "residential") & (points["full_members"] >= 3)
    frames = []
    for side, layers in SIDES.items():
        grids = all_grids[all_grids["layer"].isin(layers)][["code", "community_code", "geom"]]
        joined = gpd.sjoin(points, grids, predicate="within", how="left")
        per_grid = joined.groupby("code")[["households", "full_members", "eligible"]].sum()
        per_community = joined.groupby("community_code")[["households", "full_members", "eligible"]].sum()
        frames += [per_grid.assign(side=side), per_community.assign(side=side)]
    return pd.concat(frames)


@paused()  # as ``gridsvc coverage`` runs (gridsvc.analysis.bulk)
def whole(engine) -> tuple[float, float, str, int]:
    """Seconds for load, and load + compute + tree + gaps; the tree's JSON; the number of gaps."""
    t0 = time.perf_counter()
    with engine.connect() as conn:
        scene = load_scene(conn)
    t1 = time.perf_counter()
    cov = compute_coverage(scene)
    body = jsonbody.dumps(cov.tree())
    gaps = cov.gap_list()
    return t1 - t0, time.perf_counter() - t0, body, len(gaps)


def in_parts(settings: Settings, workers: int, rounds: int = 1, by: str = "district") -> dict:
    """The run in parts by district on ``workers`` local Dask workers, after one round that warms them
    (imports, engines): its seconds per round, tree JSON, gaps and the workers' peak memory (MB)."""
    from distributed import Client, LocalCluster

    work = batch.prepare(settings, by=by)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR) as c,
        Client(c) as client,
    ):
        client.wait_for_workers(workers)
        times = []
        for _ in range(rounds + 1):
            t = time.perf_counter()
            tree, parts = work.run(client, gaps=True)
            times.append(time.perf_counter() - t)
        peaks = client.run(_own_peak_mb)
    return {
        "seconds": times[1:],
        "body": jsonbody.dumps(tree),
        "gaps": sum(len(p.gap_list) for p in parts),
        "worker_peak_mb": max(peaks.values()),
    }


def _own_peak_mb() -> float:
    """This process's peak resident memory (VmHWM: since its own start, not its parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="local Dask workers for the run in parts")
    args = parser.parse_args()
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local" / "share" / "gridsvc-bench"))
    settings = Settings()
    engine = make_engine(settings)
    stored = ensure_city(engine, args.buildings, args.grids)
    print(
        f"city of {args.buildings:,} buildings, {args.grids:,} grids "
        + (f"stored in PostGIS in {stored:.1f} s (not part of the comparison)" if stored else "already stored")
    )
    body = None
    if args.buildings <= WHOLE_AT_MOST:
        ours, loads, refs = [], [], []
        for round_ in range(args.rounds + 1):  # the first round only warms caches on both sides
            load, total, body, gaps = whole(engine)
            t = time.perf_counter()
            reference(engine)
            if round_:
                loads.append(load)
                ours.append(total)
                refs.append(time.perf_counter() - t)
        print(f"coverage tree {len(body) / 1e6:.1f} MB JSON, {gaps:,} gaps")
        for label, times in (
            ("gridsvc: load scene from PostGIS", loads),
            ("gridsvc: load + compute + tree + gaps", ours),
            ("reference: read_postgis + sjoin + groupby", refs),
        ):
            print(f"{label:<42} median {statistics.median(times):6.2f} s   runs " + " ".join(f"{t:.2f}" for t in times))
        total, ref = statistics.median(ours), statistics.median(refs)
        # each round's own ratio pairs runs seconds apart: a machine that slows down or speeds up
        # between rounds moves both sides of it, not only one
        paired = statistics.median(o / r for o, r in zip(ours, refs, strict=True))
        print(
            f"gridsvc total {total:.2f} s (target <= 5 s), ratio to the reference {total / ref:.2f} (target <= 1.5); "
            f"median of each round's ratio {paired:.2f}"
        )
        print(f"peak memory of this process so far: {_own_peak_mb():,.0f} MB")
    run = in_parts(settings, args.workers)
    print(
        f"gridsvc in parts by district on {args.workers} local Dask workers: {run['seconds'][0]:.2f} s for the tree "
        f"and {run['gaps']:,} gaps (after a warm-up round); peak memory: this process {_own_peak_mb():,.0f} MB, "
        f"largest worker {run['worker_peak_mb']:,.0f} MB"
    )
    if body is not None:
        print("the tree in parts equals the whole tree: " + ("yes" if run["body"] == body else "NO"))
    else:  # after the run in parts, so that the peak memory above is that run's
        t = time.perf_counter()
        reference(engine)
        print(f"reference: read_postgis + sjoin + groupby {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
