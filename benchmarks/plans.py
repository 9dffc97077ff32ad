"""Benchmark: the automatic proposal against the two simple alternatives, per community, and its time
against computing the same area's coverage.

    python -m benchmarks.plans [--boundary-weight W]

Runs on the synthetic demo district (12 communities, ~1,900 buildings) in its own PostGIS
(GRIDSVC_HOME=~/.local/share/gridsvc-bench-plans unless GRIDSVC_DATABASE_URL is set). For each
community it prints the lower bound on households moved (today's mismatch between the two layers),
then for adopting the governance layer as it is, the greedy repair of it (``--adopt-governance
--repair-band``) and the proposal: households moved off governance and off Party, grids, grids
outside the band, mean Polsby-Popper compactness, metres of boundary beyond today's governance grids,
weighted cost (``--boundary-weight``: its price per metre of that boundary, default 0) and seconds;
and in how many communities the proposal's compactness is at least 0.9× today's governance grids'. Then the proposal's
time for a community and the whole district beside the coverage of the same area (the reference, in
the same process: a ratio holds on a noisy machine).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sqlalchemy import text

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.objective import Weights
from gridsvc.analysis.scene import Thresholds
from gridsvc.repository.scene import load_scene
from gridsvc.services import imports, proposals
from gridsvc.settings import Settings

COMMUNITY = "320199001002"
DISTRICT = "320199"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boundary-weight", type=float, default=0.0, help="cost per metre of boundary (households)")
    weights = Weights(boundary=parser.parse_args().boundary_weight)
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local/share/gridsvc-bench-plans"))
    from gridsvc.db.engine import make_engine

    engine = make_engine(Settings())
    with engine.connect() as conn:
        present = conn.scalar(text("SELECT count(*) FROM areas WHERE code = :c"), {"c": DISTRICT})
    if not present:
        print("building the demo district ...")
        imports.build_demo(engine, 20240501)
    limits = Thresholds()
    print(
        f"{'community':<14}{'bound':>6} | {'method':<18}{'gov':>6}{'party':>6}{'grids':>6}{'off band':>9}"
        f"{'P-P':>6}{'bound.m':>8}{'cost':>9}{'s':>7}"
    )
    compact = 0
    rows = proposals.compare(engine, _communities(engine), limits, weights=weights)
    for row in rows:
        compact += row["proposal"]["polsby_popper"] >= 0.9 * row["adopt"]["polsby_popper"]
        for i, method in enumerate(("adopt", "repair", "proposal")):
            m = row[method]
            head = f"{row['community']:<14}{row['lower_bound']:>6}" if i == 0 else f"{'':<14}{'':>6}"
            print(
                f"{head} | {method:<18}{m['governance']:>6.0f}{m['party']:>6.0f}{m['grids']:>6}{m['outside_band']:>9}"
                f"{m['polsby_popper']:>6.2f}{m['boundary']:>8.0f}{m['cost']:>9.1f}{m['seconds']:>7.2f}"
            )
    print(f"proposal at least 0.9× as compact as today's governance grids in {compact}/{len(rows)} communities")
    for label, area in (("community", COMMUNITY), ("whole demo district", DISTRICT)):
        with engine.connect() as conn:
            t0 = time.perf_counter()
            scene = load_scene(conn, area)
            compute_coverage(scene, limits)
            reference = time.perf_counter() - t0
        t0 = time.perf_counter()
        chosen = [area] if len(area) == 12 else _communities(engine)
        _, layouts = proposals.propose(engine, chosen, limits, weights=weights)
        seconds = time.perf_counter() - t0
        met = sum(layout.band_met for layout in layouts)
        print(
            f"{label:>20}: {len(scene.buildings):5d} buildings, {len(layouts):2d} communities, proposal "
            f"{seconds:6.2f} s (band met in {met}/{len(layouts)}); reference coverage {reference:5.2f} s; "
            f"ratio {seconds / reference:5.1f}×"
        )


def _communities(engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT code FROM areas WHERE level = 'community' AND code LIKE :p ORDER BY code"),
                {"p": DISTRICT + "%"},
            ).scalars()
        )


if __name__ == "__main__":
    main()
