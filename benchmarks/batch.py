"""Benchmark: ``gridsvc batch coverage`` on 1 and 2 local Dask workers, and the speed-up.

    python -m benchmarks.batch [--buildings 200000] [--grids 10000] [--by district] [--rounds 2]

On the generated city (stored unless it is there: benchmarks.city.ensure_city), each worker count
gets a fresh local cluster, one warm-up round (imports, engines) and then ``--rounds`` timed rounds;
the figures are medians. Beside them, the same tree computed whole in this process (``gridsvc
coverage``), so the price of cutting the work into parts shows too. The database is the one every
worker reads, on this machine: its CPU counts against the same cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmarks.city import ensure_city
from benchmarks.coverage import in_parts, whole
from gridsvc.db.engine import make_engine
from gridsvc.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--by", choices=("district", "street"), default="district")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local" / "share" / "gridsvc-bench"))
    settings = Settings()
    engine = make_engine(settings)
    ensure_city(engine, args.buildings, args.grids)
    print(f"city of {args.buildings:,} buildings, {args.grids:,} grids; parts by {args.by}; {os.cpu_count()} cores")
    whole(engine)  # warm the database's caches
    times = [whole(engine)[1] for _ in range(args.rounds)]
    print(f"{'whole, in this process':<28} median {statistics.median(times):6.2f} s")
    medians = {}
    for workers in (1, 2):
        t = time.perf_counter()
        run = in_parts(settings, workers, args.rounds, by=args.by)
        medians[workers] = statistics.median(run["seconds"])
        print(
            f"{f'{workers} local worker(s)':<28} median {medians[workers]:6.2f} s   runs "
            + " ".join(f"{s:.2f}" for s in run["seconds"])
            + f"   (cluster, warm-up and rounds {time.perf_counter() - t:.1f} s; peak worker {run['worker_peak_mb']:,.0f} MB)"
        )
    print(f"speed-up 2 workers / 1 worker: {medians[1] / medians[2]:.2f}x (target >= 1.7)")


if __name__ == "__main__":
    main()
