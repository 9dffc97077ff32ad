"""Benchmark: gridsvc against tipg, side by side, on the same database and the same number of workers.

    python -m benchmarks.serving [--buildings 200000] [--workers 1] [--clients 4,32] [--seconds 10]

Stores a generated city (``benchmarks.city``) in the benchmark PostGIS (~/.local/share/gridsvc-bench)
unless it already holds that many buildings, starts ``gridsvc serve`` and tipg (from PyPI, in its
own virtualenv under /tmp/gridsvc-bench-tools, since it pins its own versions) on loopback ports with
``--workers`` each, and loads both with ``wrk`` (Debian) at each client count on:

- item: a small-bbox page of buildings (about 30 features), 16 places in turn;
- tile z15: a building tile at zoom 15, 16 tiles in turn;
- tile z13: a grid tile at zoom 13, 16 tiles in turn;
- grid coverage: one grid's coverage (gridsvc only: tipg has nothing like it).

Prints requests/s, p50 and p99 latency, bytes per answer (the body, uncompressed) and the ratio
gridsvc/tipg of requests/s for each. Then runs the ``ogctests`` package (OGC API – Features Part 1,
``features/core``; in its own virtualenv too) against both and prints its result. Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import text

from benchmarks.city import ensure_city
from benchmarks.load import free_port, server, serving, tile_of

# not under a directory whose name starts with a dot: pytest (which ogctests runs) skips those
TOOLS = Path(os.environ.get("GRIDSVC_BENCH_TOOLS", Path(tempfile.gettempdir()) / "gridsvc-bench-tools"))
TIPG = "tipg==1.6.1"
OGCTESTS = "ogctests==0.1.15"
PLACES = 16


def tool_venv(name: str, *packages: str) -> Path:
    """A virtualenv of its own for a tool that pins its own dependencies; made once."""
    venv = TOOLS / name
    if not (venv / "bin" / "python").exists():
        print(f"installing {' '.join(packages)} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *packages], check=True)
    return venv


def asyncpg_url(database_url: str | None, socket_dir: Path) -> str:
    """tipg's DATABASE_URL for the same database: a URL with a host, so the socket directory goes
    percent-encoded where the host is (asyncpg reads it as libpq does)."""
    if database_url:
        return "postgresql://" + database_url.split("://", 1)[1]
    return f"postgresql://postgres@{quote(str(socket_dir), safe='')}/gridsvc"


def tipg_server(database_url: str, workers: int, log: Path):
    """tipg (its own virtualenv) on a free loopback port with ``workers``, serving ``database_url``."""
    venv = tool_venv("tipg", TIPG, "uvicorn")
    port = free_port()
    command = [str(venv / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    env = {"DATABASE_URL": database_url, "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
    return serving(command, port, "/collections", env, log, "tipg")


def wrk(base: str, paths: list[str], clients: int, seconds: float) -> dict:
    """``wrk`` cycling through ``paths``: requests/s, p50/p99 in ms, and answers that were not 2xx/3xx."""
    assert base.startswith("http://127.0.0.1"), "load runs only against this machine"
    listed = ",".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    script = f"""paths = {{{listed}}}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        threads = min(2, clients)
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{clients}",
                f"-d{seconds:g}s",
                "--timeout",
                "60s",
                "--latency",
                "-s",
                f.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 120,
        ).stdout
    finally:
        os.unlink(f.name)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),
        "errors": (int(bad.group(1)) if bad else 0) + (sum(map(int, socket.groups())) if socket else 0),
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def body_bytes(base: str, paths: list[str]) -> tuple[float, list[int]]:
    """The mean body size of ``paths`` (checked to answer 200) and, for GeoJSON, the feature counts."""
    sizes, counts = [], []
    with httpx.Client(base_url=base, timeout=60) as http:
        for p in paths:
            r = http.get(p)
            assert r.status_code == 200, (base, p, r.status_code, r.text[:300])
            sizes.append(len(r.content))
            if "json" in r.headers.get("content-type", "") and "features" in r.json():
                counts.append(len(r.json()["features"]))
    return sum(sizes) / len(sizes), counts


def places(engine) -> tuple[list[tuple[float, float, float]], str]:
    """Building points spread over the city, each with the half-width (degrees) of a bbox around it
    holding about 30 buildings, and a governance grid."""
    with engine.connect() as conn:
        total = conn.scalar(text("SELECT count(*) FROM buildings"))
        points = conn.execute(
            text(
                "SELECT ST_X(rep_point), ST_Y(rep_point) FROM (SELECT rep_point, row_number() OVER (ORDER BY id) n "
                "FROM buildings) b WHERE n % :step = 1 ORDER BY n LIMIT :k"
            ),
            {"step": max(1, total // PLACES), "k": PLACES},
        ).all()
        found = []
        for lon, lat in points:
            d = 0.0005
            for _ in range(12):
                n = conn.scalar(
                    text("SELECT count(*) FROM buildings WHERE geom && ST_MakeEnvelope(:a, :b, :c, :e, 4490)"),
                    {"a": lon - d, "b": lat - d, "c": lon + d, "e": lat + d},
                )
                if 25 <= n <= 40:
                    break
                d *= (30 / max(n, 1)) ** 0.5
            found.append((lon, lat, d))
        grid = conn.scalar(text("SELECT min(code) FROM grids WHERE valid_to IS NULL AND layer = 'governance'"))
    return found, grid


def routes(points, grid: str) -> dict[str, tuple[list[str], list[str] | None]]:
    """Per kind: gridsvc's paths and tipg's (None: tipg has no such route)."""
    boxes = [f"{lon - d:.6f},{lat - d:.6f},{lon + d:.6f},{lat + d:.6f}" for lon, lat, d in points]
    z15 = [tile_of(lon, lat, 15) for lon, lat, _ in points]
    z13 = [tile_of(lon, lat, 13) for lon, lat, _ in points]
    return {
        "item": (
            [f"/ogc/collections/buildings/items?bbox={b}&limit=100" for b in boxes],
            [f"/collections/public.buildings/items?bbox={b}&limit=100" for b in boxes],
        ),
        "tile z15 buildings": (
            [f"/tiles/buildings/15/{x}/{y}.pbf" for x, y in z15],
            [f"/collections/public.buildings/tiles/WebMercatorQuad/15/{x}/{y}" for x, y in z15],
        ),
        "tile z13 grids": (
            [f"/tiles/grids/13/{x}/{y}.pbf" for x, y in z13],
            [f"/collections/public.grids/tiles/WebMercatorQuad/13/{x}/{y}" for x, y in z13],
        ),
        "grid coverage": ([f"/api/grids/{grid}/coverage"], None),
    }


def ogctests(base: str) -> str:
    """The last line of ``ogctests features/core`` against ``base`` (its pass/fail count)."""
    venv = tool_venv("ogctests", OGCTESTS)
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "ogctests", "features/core", "-i", base],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tempfile.gettempdir(),
        check=False,
    )
    lines = [
        line.strip("= ")
        for line in run.stdout.splitlines()
        if " in " in line and ("passed" in line or "failed" in line)
    ]
    return lines[-1] if lines else f"no result (exit {run.returncode}): {run.stdout[-300:]}{run.stderr[-300:]}"


def _median(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}


def _row(kind: str, clients: int, a: dict, b: dict | None, size_a: float, size_b: float | None) -> str:
    left = f"{a['rps']:>13.1f}{a['p50']:>8.1f}{a['p99']:>8.1f}{size_a:>9.0f}"
    right = (
        f"{b['rps']:>10.1f}{b['p50']:>8.1f}{b['p99']:>8.1f}{size_b:>9.0f} | {a['rps'] / b['rps']:>6.2f}"
        if b
        else f"{'—':>10}{'':>8}{'':>8}{'':>9} | {'—':>6}"
    )
    return f"{kind:<20}{clients:>8} | {left} | {right}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs per cell; the median is printed")
    parser.add_argument("--workers", type=int, default=1, help="for each server")
    parser.add_argument("--clients", default="4,32")
    parser.add_argument("--seconds", type=float, default=10.0, help="per route, server and client count")
    parser.add_argument("--ogctests-only", action="store_true", help="only the ogctests run on the demo district")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (./dev bench installs it)")

    from gridsvc.db.cluster import LocalCluster
    from gridsvc.db.engine import make_engine
    from gridsvc.settings import Settings

    home = Path(os.environ.get("GRIDSVC_BENCH_HOME", Path.home() / ".local/share/gridsvc-bench"))
    settings = Settings(home=home, database_url=os.environ.get("GRIDSVC_DATABASE_URL"))
    engine = make_engine(settings)
    ensure_city(engine, args.buildings, args.grids)
    points, grid = places(engine)
    engine.dispose()
    env = {"GRIDSVC_HOME": str(home)} | (
        {"GRIDSVC_DATABASE_URL": settings.database_url} if settings.database_url else {}
    )
    logs = Path(tempfile.mkdtemp(prefix="gridsvc-serving-"))
    tipg_url = asyncpg_url(settings.database_url, LocalCluster(home).socket_dir)
    counts = [int(c) for c in args.clients.split(",")]
    table = routes(points, grid)

    print(
        f"{args.buildings:,} buildings; {args.workers} worker(s) each; wrk, {args.seconds:g} s per cell; logs in {logs}"
    )
    if not args.ogctests_only:
        _load(args, env, logs, tipg_url, counts, table)
    _ogctests_on_the_demo(args, logs)


def _load(args, env, logs, tipg_url, counts, table) -> None:
    with (
        server(env, logs / "gridsvc.log", args.workers) as ours,
        tipg_server(tipg_url, args.workers, logs / "tipg.log") as theirs,
    ):
        sizes = {}
        for kind, (mine, other) in table.items():
            size, found = body_bytes(ours, mine)
            sizes[kind] = (size, body_bytes(theirs, other)[0] if other else None)
            if found:
                print(f"{kind}: gridsvc answers {min(found)}–{max(found)} features per page")
        for mine, other in table.values():  # warm both: connections, caches, the planner
            wrk(ours, mine, max(counts), 3)
            if other:
                wrk(theirs, other, max(counts), 3)
        print(
            f"{'route':<20}{'clients':>8} | {'gridsvc req/s':>13}{'p50':>8}{'p99':>8}{'bytes':>9} | "
            f"{'tipg req/s':>10}{'p50':>8}{'p99':>8}{'bytes':>9} | {'ratio':>6}"
        )
        errors = 0
        for kind, (mine, other) in table.items():
            for clients in counts:
                a, b = [], []
                for _ in range(args.rounds):  # alternating, so a noisy spell hits both
                    a.append(wrk(ours, mine, clients, args.seconds))
                    if other:
                        b.append(wrk(theirs, other, clients, args.seconds))
                errors += sum(r["errors"] for r in a + b)
                print(_row(kind, clients, _median(a), _median(b) if b else None, *sizes[kind]), flush=True)
        print(f"answers other than 2xx/3xx, or socket errors: {errors}")
        # the gaps collection is the city's coverage, worked out once per data version: warm it as a
        # running server would be (ogctests gives each request 5 s)
        httpx.get(ours + "/ogc/collections/gaps/items?limit=1", timeout=600)
        print(f"ogctests features/core, gridsvc /ogc, this city:  {ogctests(ours + '/ogc')}")
        print(f"ogctests features/core, tipg, this city:          {ogctests(theirs)}")


def _ogctests_on_the_demo(args, logs: Path) -> None:
    from gridsvc.db.engine import make_engine
    from gridsvc.settings import Settings

    # the generated city has no unified grids and no plans, and ogctests wants features in every
    # collection: the demo district (the plans benchmark's database) has them all
    demo_home = Path(os.environ.get("GRIDSVC_BENCH_DEMO_HOME", Path.home() / ".local/share/gridsvc-bench-plans"))
    demo = make_engine(Settings(home=demo_home))
    with demo.connect() as conn:
        if not conn.scalar(text("SELECT count(*) FROM plans")):
            from gridsvc.analysis.scene import Thresholds
            from gridsvc.services import imports, proposals

            if not conn.scalar(text("SELECT count(*) FROM areas")):
                imports.build_demo(demo, 20240501)
            proposals.propose(demo, ["320199001002"], Thresholds())
    demo.dispose()
    with server({"GRIDSVC_HOME": str(demo_home)}, logs / "gridsvc-demo.log", args.workers) as ours:
        httpx.get(ours + "/ogc/collections/gaps/items?limit=1", timeout=600)
        print(f"ogctests features/core, gridsvc /ogc, the demo district: {ogctests(ours + '/ogc')}")


if __name__ == "__main__":
    main()
