"""Benchmark: coverage-gap reports (xlsx and pdf) of the demo district and of a generated city.

    python -m benchmarks.reports [--buildings 200000] [--grids 10000]

Each report is timed from the database to the bytes: coverage (load the scene from PostGIS and
compute everything, the cache emptied first), the report content, then the writer. The reference
is the first part alone — the same area's coverage in the same process — so the ratio says what a
report costs on top of the figures it shows. First targets: ≤ 10 s for the district, ≤ 60 s for the
city. The demo lives in GRIDSVC_HOME=~/.local/share/gridsvc-bench-plans, the city in
~/.local/share/gridsvc-bench (both made when missing; GRIDSVC_DATABASE_URL overrides both).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sqlalchemy import text

from gridsvc.analysis.scene import Thresholds
from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports, reports
from gridsvc.settings import Settings

DISTRICT = "320199"
CITY_TABLES = (
    "snapshots, plan_grids, plans, assignments, staff, party_org_scopes, party_orgs, organizations, grids, "
    "buildings, areas, roads, imports"
)


def _engine(home: str):
    from gridsvc.db.engine import make_engine

    os.environ["GRIDSVC_HOME"] = str(Path.home() / ".local/share" / home)
    return make_engine(Settings())


def time_report(engine, area: str | None, label: str) -> None:
    limits = Thresholds()
    coverage_service._COVERAGE_CACHE.clear()
    t0 = time.perf_counter()
    coverage_service.coverage(engine, area, limits=limits)
    reference = time.perf_counter() - t0
    for fmt in ("xlsx", "pdf"):
        coverage_service._COVERAGE_CACHE.clear()
        t0 = time.perf_counter()
        made = reports.report(engine, area, limits)
        t1 = time.perf_counter()
        data = reports.render(made, fmt)
        total = time.perf_counter() - t0
        print(
            f"{label:>14} {fmt:>4}: {total:6.2f} s (coverage + content {t1 - t0:5.2f} s, writer "
            f"{total - (t1 - t0):5.2f} s), {len(data) / 1e6:5.1f} MB, {len(made.actions):,} gaps; "
            f"reference coverage {reference:5.2f} s; ratio {total / reference:4.1f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=10_000)
    args = parser.parse_args()

    engine = _engine("gridsvc-bench-plans")
    with engine.connect() as conn:
        present = conn.scalar(text("SELECT count(*) FROM areas WHERE code = :c"), {"c": DISTRICT})
    if not present:
        print("building the demo district ...")
        imports.build_demo(engine, 20240501)
    time_report(engine, DISTRICT, "demo district")
    engine.dispose()

    engine = _engine("gridsvc-bench")
    with engine.connect() as conn:
        stored = conn.scalar(text("SELECT count(*) FROM buildings"))
    if stored != args.buildings:
        from benchmarks.city import generate_city
        from gridsvc.ingest.exchange import validate_dataset

        print(f"generating and storing a city of {args.buildings:,} buildings ...")
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {CITY_TABLES} RESTART IDENTITY CASCADE"))
        imports.import_dataset(engine, validate_dataset(generate_city(args.buildings, args.grids), "city"), "city")
    time_report(engine, None, f"city {args.buildings // 1000}k")


if __name__ == "__main__":
    main()
