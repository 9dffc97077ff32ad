"""Benchmark: joint-branch suggestions (domain.md rule 16) for every district of the generated city,
beside that district's coverage.

    python -m benchmarks.suggestions [--buildings 200000] [--grids 10000]

Stores the city unless it is there (benchmarks.city.ensure_city: 5 organizations per community, so
5,000 at 200,000 buildings); per district, the coverage (load + compute, the reference) and the
suggestion after it (candidates, enumeration, HiGHS), with the units, groups and candidate groups.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from benchmarks.city import ensure_city
from gridsvc.db.engine import make_engine
from gridsvc.services import coverage, suggestions
from gridsvc.settings import Settings


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


if __name__ == "__main__":
    main()
