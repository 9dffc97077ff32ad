"""Under load and through an outage (issue 13), against ``gridsvc serve`` in its own process.

- 64 concurrent clients, two users of different scopes, a mix of list, coverage, map and tile routes
  for a bounded time (GRIDSVC_LOAD_SECONDS, 8 by default; CI runs this short version): every answer
  200, no body holding anything outside its caller's scope.
- The database stopped under load and started again: only 200s and 503s (with Retry-After and a
  JSON body) meanwhile, no connection reset, and full recovery without restarting the server.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from benchmarks.load import Call, hammer, server
from gridsvc.db.engine import make_engine
from gridsvc.services import imports
from gridsvc.settings import Settings
from tests import coverage_scene as s
from tests import scenes
from tests.access import world
from tests.conftest import private_cluster

pytestmark = pytest.mark.load
SECONDS = float(os.environ.get("GRIDSVC_LOAD_SECONDS", "8"))


def _leak_check(scope: str) -> callable:
    """What may not appear in an answer to a user scoped to ``scope`` (a community): the other
    community's code (every grid code under it starts with it) and the other side's buildings."""
    other = s.C2 if scope == s.C1 else s.C1
    theirs = world.SEES[other]["buildings"] - world.SEES[scope]["buildings"]

    def leaks(body: bytes) -> list[str]:
        found = [other] if other.encode() in body else []
        found += [b for b in theirs if f'"{b}"'.encode() in body or scenes.mvt_strings(body, {b})]
        return found

    return leaks


def _calls(tokens: dict[str, str]) -> list[Call]:
    lon, lat = s.frames()["buildings"].geometry.union_all().centroid.coords[0]
    x16, y16 = scenes.tile_of(lon, lat, 16)
    x13, y13 = scenes.tile_of(lon, lat, 13)
    calls = []
    for user, community, grid in (("planner", s.C1, s.G1), ("viewer", s.C2, s.U1)):
        token, leaks = tokens[user], _leak_check(community)
        calls += [
            Call("list", f"/api/buildings?community={community}", token, leaks),
            Call("list", "/api/grids", token, leaks),
            Call("list", "/api/staff", token, leaks),
            Call("coverage", f"/api/grids/{grid}/coverage", token, leaks),
            Call("coverage", f"/api/coverage/{community}", token, leaks),
            Call("map", f"/maps/grids/{grid}", token, leaks),
            Call("tile", f"/tiles/buildings/16/{x16}/{y16}.pbf", token, leaks),
            Call("tile", f"/tiles/grids/13/{x13}/{y13}.pbf", token, leaks),
            Call("health", "/api/health", token),
        ]
    return calls


@pytest.mark.parametrize("workers", [1, 2])
def test_64_clients_two_scopes_no_errors_no_leaks(db, settings, tmp_path, workers):
    """One server process, and two sharing the port (gridsvc serve --workers 2)."""
    tokens = world.build(db, tmp_path)
    env = {
        "GRIDSVC_DATABASE_URL": settings.database_url,
        "GRIDSVC_AUTH_REQUIRED": "true",
        "GRIDSVC_HOME": str(tmp_path / "home"),
    }
    with server(env, tmp_path / "serve.log", workers=workers) as base:
        run = hammer(base, _calls(tokens), clients=64, seconds=SECONDS)
    errors = run.errors()
    assert not errors, f"{len(errors)} errors, e.g. {errors[:3]}"
    assert run.leaks() == []
    kinds = {o.kind for o in run.outcomes}
    assert kinds == {"list", "coverage", "map", "tile", "health"}
    assert len(run.outcomes) >= 64  # every client was answered at least once
    print({kind: run.figures(kind) for kind in sorted(kinds)})


@pytest.fixture
def own_cluster():
    """A private PostGIS of this test's own, to stop and start (the suite's database stays up)."""
    with private_cluster("gridsvc-fault-") as cluster:
        yield cluster


def test_database_outage_answers_503_then_recovers(own_cluster, tmp_path):
    engine = make_engine(Settings(database_url=own_cluster.url, home=tmp_path / "home"))
    imports.import_file(engine, scenes.write(tmp_path / "scene.gpkg", s.frames()))
    engine.dispose()
    env = {"GRIDSVC_DATABASE_URL": own_cluster.url, "GRIDSVC_HOME": str(tmp_path / "home")}
    calls = [
        Call("health", "/api/health"),
        Call("list", f"/api/buildings?community={s.C1}"),
        Call("coverage", f"/api/grids/{s.G1}/coverage"),
    ]
    with server(env, tmp_path / "serve.log") as base:
        import threading

        result = {}
        worker = threading.Thread(target=lambda: result.setdefault("run", hammer(base, calls, 8, 12.0)))
        worker.start()
        time.sleep(3)
        own_cluster.stop()
        down_at = time.perf_counter()
        time.sleep(3)
        own_cluster.start()
        up_at = time.perf_counter()
        worker.join()
        run = result["run"]
        after = hammer(base, calls, 4, 2.0)
    assert up_at - down_at >= 3
    no_answer = [o for o in run.outcomes if o.status is None]
    assert no_answer == [], f"connections dropped or refused: {no_answer[:3]}"
    assert {o.status for o in run.outcomes} <= {200, 503}
    unavailable = [o for o in run.outcomes if o.status == 503]
    assert unavailable, "the outage was not seen"
    assert all(o.retry_after and o.json_body for o in unavailable)
    assert after.errors() == [] and len(after.outcomes) > 0  # recovered, no restart
    (tmp_path / "outcomes.json").write_text(json.dumps([vars(o) for o in run.outcomes]))
