"""Benchmark: the workbench's edit round trip (move 50 buildings and recompute the panel), through the
HTTP API, on a community (~180 buildings) and on a plan of the whole demo district (~1,900
buildings: the size of a street in a large city), beside that area's full coverage.

    python -m benchmarks.workbench

Runs on the synthetic demo district in its own PostGIS (GRIDSVC_HOME=~/.local/share/gridsvc-bench-plans
unless set). Each area: the plan adopted from the governance grids; the first open (reading the
plan, its buildings and cells, cached afterwards); then 10 round trips, each a POST of a list that
moves 50 buildings (a different 50 each time) to a neighbouring grid, answered with the grids,
the buildings' new grids and the panel. The reference is the same area's coverage (load_scene +
compute_coverage) in the same process: a ratio holds on a noisy machine.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.scene import Thresholds
from gridsvc.repository.scene import load_scene
from gridsvc.services import imports, plans, users, workbench
from gridsvc.settings import Settings

ROUNDS = 10
MOVED = 50
STREETS = ["320199001", "320199002", "320199003"]
TARGETS = {"community": (["320199001002"], 0.3), "demo district": (STREETS, 1.5)}  # areas, first target (s)


def main() -> None:
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local/share/gridsvc-bench-plans"))
    from gridsvc.api import create_app
    from gridsvc.db.engine import make_engine

    settings = Settings()
    engine = make_engine(settings)
    with engine.begin() as conn:
        if not conn.scalar(text("SELECT count(*) FROM areas WHERE code = '320199'")):
            print("building the demo district ...")
            imports.build_demo(engine, 20240501)
        if not any(u["name"] == "bench-planner" for u in users.list_users(conn)):
            users.add_user(conn, "bench-planner", "planner", "320199", "bench-planner-password")
        token, _ = users.issue_token(conn, "bench-planner", dt.timedelta(hours=1))
    limits = Thresholds()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        for label, (areas, target) in TARGETS.items():
            plan_id = plans.adopt_governance(engine, areas, name=f"基准：{label}")
            t0 = time.perf_counter()
            begun = client.get(f"/api/plans/{plan_id}/workbench", headers=headers).json()
            first = time.perf_counter() - t0
            edits = _moves(begun)
            times = []
            for n in range(ROUNDS):
                t0 = time.perf_counter()
                answer = client.post(f"/api/plans/{plan_id}/preview", headers=headers, json={"edits": [edits[n]]})
                times.append(time.perf_counter() - t0)
                assert answer.status_code == 200, answer.text
            reference = _coverage_time(engine, plans.common_area(plans.communities_of(engine, areas)), limits)
            round_trip = statistics.median(times)
            print(
                f"{label:>14}: {len(begun['buildings']['features']):5d} buildings, "
                f"{len(begun['grids']['features']):3d} grids | open {first:5.2f} s | edit round trip "
                f"(move {MOVED}) median {round_trip * 1000:6.0f} ms, max {max(times) * 1000:6.0f} ms "
                f"(target {target * 1000:.0f} ms: {'met' if round_trip <= target else 'NOT met'}) | "
                f"full coverage {reference:5.2f} s | ratio {round_trip / reference:4.2f}"
            )
            workbench._BOARDS.clear()


def _moves(begun: dict) -> list[dict]:
    """ROUNDS edits, each moving MOVED buildings of one grid to the next grid of the same community."""
    features = begun["buildings"]["features"]
    by_grid: dict[str, list[str]] = {}
    for f in features:
        by_grid.setdefault(f["properties"]["grid"], []).append(f["id"])
    codes = sorted(by_grid)
    edits = []
    for n in range(ROUNDS):
        source = codes[n % len(codes)]
        others = [c for c in codes if c != source and c[:12] == source[:12]]
        pool = by_grid[source] + [b for c in codes for b in by_grid[c] if c[:12] == source[:12] and c != others[0]]
        edits.append({"op": "move", "buildings": pool[:MOVED], "to": others[0]})
    return edits


def _coverage_time(engine, area: str, limits: Thresholds) -> float:
    t0 = time.perf_counter()
    with engine.connect() as conn:
        compute_coverage(load_scene(conn, area), limits)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
