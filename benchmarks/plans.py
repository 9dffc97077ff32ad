"""Benchmark: the automatic proposal for a community (~200 buildings) and a street-sized area
(~2,000 buildings, community by community), against computing the same area's coverage.

    python -m benchmarks.plans

Runs on the synthetic demo district (12 communities, ~1,900 buildings) in its own PostGIS
(GRIDSVC_HOME=~/.local/share/gridsvc-bench-plans unless GRIDSVC_DATABASE_URL is set). The reference
is ``compute_coverage`` of the same area in the same process: a ratio holds on a noisy machine.
First targets: ≤ 5 s for the community, ≤ 60 s for the street.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.scene import Thresholds
from gridsvc.repository.scene import load_scene
from gridsvc.services import imports, proposals
from gridsvc.settings import Settings

COMMUNITY = "320199001002"
DISTRICT = "320199"


def main() -> None:
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local/share/gridsvc-bench-plans"))
    from gridsvc.db.engine import make_engine

    engine = make_engine(Settings())
    with engine.connect() as conn:
        present = conn.scalar(text("SELECT count(*) FROM areas WHERE code = :c"), {"c": DISTRICT})
    if not present:
        print("building the demo district ...")
        imports.build_demo(engine, 20240501)
    limits = Thresholds()
    for label, area in (("community", COMMUNITY), ("whole demo district", DISTRICT)):
        with engine.connect() as conn:
            t0 = time.perf_counter()
            scene = load_scene(conn, area)
            compute_coverage(scene, limits)
            reference = time.perf_counter() - t0
        buildings = len(scene.buildings)
        t0 = time.perf_counter()
        _, layouts = proposals.propose(engine, [area] if len(area) == 12 else _communities(engine), limits)
        seconds = time.perf_counter() - t0
        solver = sum(layout.seconds for layout in layouts)
        met = sum(layout.band_met for layout in layouts)
        print(
            f"{label:>20}: {buildings:5d} buildings, {len(layouts):2d} communities, proposal {seconds:6.2f} s "
            f"(programmes {solver:5.2f} s; band met in {met}/{len(layouts)}); "
            f"reference coverage {reference:5.2f} s; ratio {seconds / reference:5.1f}×"
        )


def _communities(engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT code FROM areas WHERE level = 'community' AND code LIKE :p"), {"p": DISTRICT + "%"}
            ).scalars()
        )


if __name__ == "__main__":
    main()
