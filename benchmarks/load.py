"""Benchmark: gridsvc under concurrent clients, served as ``gridsvc serve`` serves it.

    python -m benchmarks.load [--seconds 10] [--clients 4,32,64]

Stores the demo district (``gridsvc demo``) in a private PostGIS (~/.local/share/gridsvc-bench, or
GRIDSVC_DATABASE_URL), starts ``gridsvc serve`` on a free 127.0.0.1 port in its own process, and
for each number of clients lets them call one route kind for a fixed time: a small-bbox page of
buildings (item, and the same page from the OGC API), a zoom-16 building tile (tile) and one grid's coverage (grid-coverage). Prints
requests/s, p50 and p99 latency and the error count (anything but 200, or no answer) per route and
client count. The reference, in the same run: ``/api/health`` at the same client counts (one
trivial query), so the ratio route / health holds on a noisy machine.

The load driver (:func:`hammer`) and server (:func:`server`) are the ones the load and fault tests
use (tests/load/); it only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Call:
    """One request a client makes: ``kind`` groups the figures; ``leaks`` says what in an answer's
    body would be outside the caller's scope (empty: nothing found)."""

    kind: str
    url: str
    token: str | None = None
    leaks: Callable[[bytes], list[str]] | None = None


@dataclass
class Outcome:
    kind: str
    started: float
    seconds: float
    status: int | None  # None: no answer (connection refused, reset, timed out)
    retry_after: str | None = None
    json_body: bool = False
    leaked: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Run:
    clients: int
    seconds: float
    outcomes: list[Outcome]

    def of(self, kind: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if kind is None or o.kind == kind]

    def errors(self, kind: str | None = None) -> list[Outcome]:
        return [o for o in self.of(kind) if o.status != 200]

    def leaks(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.leaked]

    def figures(self, kind: str | None = None) -> dict:
        done = self.of(kind)
        times = sorted(o.seconds for o in done) or [0.0]
        return {
            "requests": len(done),
            "rps": len(done) / self.seconds,
            "p50_ms": 1000 * statistics.median(times),
            "p99_ms": 1000 * times[min(len(times) - 1, int(0.99 * len(times)))],
            "errors": len(self.errors(kind)),
        }


def hammer(base: str, calls: list[Call], clients: int, seconds: float, timeout: float = 60) -> Run:
    """``clients`` threads, each with its own keep-alive connection, cycle through ``calls`` (each
    starting at a different one) for ``seconds``; every answer is timed and checked."""
    assert base.startswith(("http://127.0.0.1", "http://localhost")), "load runs only against this machine"
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()

    def client(index: int) -> None:
        mine: list[Outcome] = []
        with httpx.Client(base_url=base, timeout=timeout) as http:
            i = index
            while time.perf_counter() < deadline:
                call = calls[i % len(calls)]
                i += 1
                headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
                t = time.perf_counter()
                try:
                    r = http.get(call.url, headers=headers)
                    outcome = Outcome(
                        call.kind,
                        t - start,
                        time.perf_counter() - t,
                        r.status_code,
                        r.headers.get("retry-after"),
                        r.headers.get("content-type", "").startswith("application/json"),
                    )
                    if r.status_code == 200 and call.leaks:
                        outcome.leaked = call.leaks(r.content)
                except httpx.HTTPError as exc:
                    outcome = Outcome(call.kind, t - start, time.perf_counter() - t, None, error=repr(exc))
                mine.append(outcome)
        with lock:
            outcomes.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Run(clients, time.perf_counter() - start, outcomes)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(env: dict[str, str], log: Path | None = None, workers: int = 1) -> Iterator[str]:
    """``gridsvc serve --workers N`` on a free loopback port in its own process, with ``env`` added
    to this process's environment; yields its base URL once it answers, stops it afterwards."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("gridsvc")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command + ["--workers", str(workers)], port, "/openapi.json", env, log, "gridsvc serve") as base:
        yield base


@contextmanager
def serving(command: list[str], port: int, probe: str, env: dict[str, str], log: Path | None, name: str):
    """``command`` (a server on 127.0.0.1:``port``) in its own process; yields its base URL once
    ``probe`` answers 200, stops it afterwards."""
    out = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(command, env=os.environ | env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}" + (f"; see {log}" if log else ""))
            try:
                if httpx.get(base + probe, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{name} did not answer within a minute")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per route and client count")
    parser.add_argument("--clients", default="4,32,64")
    parser.add_argument("--workers", type=int, default=1, help="gridsvc serve --workers")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]

    from sqlalchemy import text

    from gridsvc.db.engine import make_engine
    from gridsvc.services import imports
    from gridsvc.settings import Settings

    home = Path(os.environ.get("GRIDSVC_BENCH_HOME", Path.home() / ".local/share/gridsvc-bench"))
    settings = Settings(home=home, database_url=os.environ.get("GRIDSVC_DATABASE_URL"))
    engine = make_engine(settings)
    with engine.connect() as conn:
        grid = conn.scalar(text("SELECT min(code) FROM grids WHERE valid_to IS NULL AND layer = 'governance'"))
    if grid is None:
        print("storing the demo district (gridsvc demo) ...", file=sys.stderr)
        imports.build_demo(engine, 20240501)
        with engine.connect() as conn:
            grid = conn.scalar(text("SELECT min(code) FROM grids WHERE valid_to IS NULL AND layer = 'governance'"))
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                "WHERE code = :g AND valid_to IS NULL) s"
            ),
            {"g": grid},
        ).one()
        buildings = conn.scalar(text("SELECT count(*) FROM buildings"))
    engine.dispose()
    x, y = tile_of(lon, lat, 16)
    d = 0.002
    routes = {
        "health (reference)": "/api/health",
        "item": f"/api/buildings?bbox={lon - d},{lat - d},{lon + d},{lat + d}&limit=50",
        "item (OGC)": f"/ogc/collections/buildings/items?bbox={lon - d},{lat - d},{lon + d},{lat + d}&limit=50",
        "tile": f"/tiles/buildings/16/{x}/{y}.pbf",
        "grid-coverage": f"/api/grids/{grid}/coverage",
    }
    env = {"GRIDSVC_HOME": str(home)} | (
        {"GRIDSVC_DATABASE_URL": settings.database_url} if settings.database_url else {}
    )
    print(f"gridsvc serve --workers {args.workers}, {buildings:,} buildings; grid {grid}; {args.seconds:g} s per cell")
    print(f"{'route':<20}{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'÷ health':>10}")
    total_errors = 0
    with server(env, workers=args.workers) as base:
        hammer(base, [Call("warm", u) for u in routes.values()], 4, 2.0)  # caches and connections
        reference: dict[int, float] = {}
        for name, url in routes.items():
            for clients in counts:
                run = hammer(base, [Call(name, url)], clients, args.seconds)
                f = run.figures()
                total_errors += f["errors"]
                if name.startswith("health"):
                    reference[clients] = f["rps"]
                ratio = f["rps"] / reference[clients] if reference.get(clients) else float("nan")
                print(
                    f"{name:<20}{clients:>8}{f['rps']:>9.1f}{f['p50_ms']:>9.1f}{f['p99_ms']:>9.1f}"
                    f"{f['errors']:>8}{ratio:>10.2f}",
                    flush=True,
                )
    print(f"errors in all: {total_errors}")
    if total_errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
