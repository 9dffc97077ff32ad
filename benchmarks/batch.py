"""Benchmark: ``gridsvc batch coverage`` on 1 and 2 local Dask workers, and the speed-up.

    python -m benchmarks.batch [--buildings 200000] [--grids 10000] [--by district] [--rounds 4]

On the generated city (stored unless it is there: benchmarks.city.ensure_city), a local cluster of
one worker and one of two stand side by side, each warmed by one round (imports, engines); then the
timed rounds alternate between them, one worker then two, so that a machine that slows down or
speeds up moves both sides of a round alike (an idle cluster costs nothing). The figures are the
medians, the speed-up their ratio and, beside it, the median of each round's own ratio. Beside them,
the same tree computed whole in this process (``gridsvc coverage``), so the price of cutting the
work into parts shows too. The database is the one every worker reads, on this machine: its CPU
counts against the same cores.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

from benchmarks.city import ensure_city
from benchmarks.coverage import _own_peak_mb, whole
from gridsvc.db.engine import make_engine
from gridsvc.services import batch
from gridsvc.settings import Settings

WORKERS = (1, 2)


def alternating(settings: Settings, rounds: int, by: str) -> tuple[dict[int, list[float]], dict[int, float]]:
    """Seconds per timed round for each worker count, rounds alternating between the two clusters,
    and each cluster's largest worker's peak memory (MB)."""
    import warnings
    from contextlib import ExitStack

    from distributed import Client, LocalCluster

    warnings.filterwarnings("ignore", "Port 8787 is already in use")  # the second cluster's (loopback) dashboard

    work = batch.prepare(settings, by=by)
    with ExitStack() as stack:
        clients = {}
        for n in WORKERS:
            cluster = stack.enter_context(
                LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR)
            )
            clients[n] = stack.enter_context(Client(cluster, set_as_default=False))
            clients[n].wait_for_workers(n)
            with clients[n].as_current():
                work.run(clients[n], gaps=True)  # the warm-up round
        times: dict[int, list[float]] = {n: [] for n in WORKERS}
        for _ in range(rounds):
            for n in WORKERS:
                with clients[n].as_current():
                    t = time.perf_counter()
                    work.run(clients[n], gaps=True)
                    times[n].append(time.perf_counter() - t)
        peaks = {n: max(clients[n].run(_own_peak_mb).values()) for n in WORKERS}
    return times, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--by", choices=("district", "street"), default="district")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local" / "share" / "gridsvc-bench"))
    settings = Settings()
    engine = make_engine(settings)
    ensure_city(engine, args.buildings, args.grids)
    print(f"city of {args.buildings:,} buildings, {args.grids:,} grids; parts by {args.by}; {os.cpu_count()} cores")
    whole(engine)  # warm the database's caches
    times = [whole(engine)[1] for _ in range(args.rounds)]
    print(f"{'whole, in this process':<28} median {statistics.median(times):6.2f} s")
    t = time.perf_counter()
    runs, peaks = alternating(settings, args.rounds, args.by)
    for n in WORKERS:
        print(
            f"{f'{n} local worker(s)':<28} median {statistics.median(runs[n]):6.2f} s   runs "
            + " ".join(f"{s:.2f}" for s in runs[n])
            + f"   (peak worker {peaks[n]:,.0f} MB)"
        )
    speedup = statistics.median(runs[1]) / statistics.median(runs[2])
    paired = statistics.median(a / b for a, b in zip(runs[1], runs[2], strict=True))
    print(
        f"speed-up 2 workers / 1 worker: {speedup:.2f}x (target >= 1.7); median of each round's ratio {paired:.2f}x"
        f"   (clusters, warm-up and rounds {time.perf_counter() - t:.1f} s)"
    )


if __name__ == "__main__":
    main()
