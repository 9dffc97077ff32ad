"""Benchmark: the full coverage tree and gap list of a generated city, against a plain geopandas pipeline.

    python -m benchmarks.coverage [--buildings 200000] [--grids 10000]

Generates a city (two grid layers, organizations, Party organizations, staff), loads it into the
benchmark's PostGIS, then times gridsvc (load the scene from PostGIS + compute every metric at every
level + the gap list + the JSON tree) against a reference written directly with geopandas: read the
buildings' points and the grids from the same PostGIS (``read_postgis``), ``sjoin`` the points to each
layer's grids and ``groupby`` sums per grid and community. The reference computes far less (no
topology, staff, organizations or gaps); the ratio says what the whole engine costs next to it. Uses GRIDSVC_HOME=~/.local/share/gridsvc-bench
unless GRIDSVC_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import text

from benchmarks.city import generate_city
from gridsvc.analysis.coverage import compute_coverage
from gridsvc.analysis.scene import SIDES
from gridsvc.db.engine import make_engine
from gridsvc.ingest.exchange import validate_dataset
from gridsvc.repository.scene import load_scene
from gridsvc.services import imports
from gridsvc.settings import Settings

TABLES = "assignments, staff, party_org_scopes, party_orgs, organizations, grids, buildings, areas, roads, imports"


def reference(engine) -> pd.DataFrame:
    """The minimal pipeline: building points joined to grids, summed per grid and per community."""
    with engine.connect() as conn:
        points = gpd.read_postgis(
            "SELECT id, households, full_members, use, rep_point FROM buildings", conn, geom_col="rep_point"
        )
        all_grids = gpd.read_postgis(
            "SELECT code, community_code, layer, geom FROM grids WHERE valid_to IS NULL", conn, geom_col="geom"
        )
    points["eligible"] = (points["use"] == "residential") & (points["full_members"] >= 3)
    frames = []
    for side, layers in SIDES.items():
        grids = all_grids[all_grids["layer"].isin(layers)][["code", "community_code", "geom"]]
        joined = gpd.sjoin(points, grids, predicate="within", how="left")
        per_grid = joined.groupby("code")[["households", "full_members", "eligible"]].sum()
        per_community = joined.groupby("community_code")[["households", "full_members", "eligible"]].sum()
        frames += [per_grid.assign(side=side), per_community.assign(side=side)]
    return pd.concat(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("GRIDSVC_HOME", str(Path.home() / ".local" / "share" / "gridsvc-bench"))
    engine = make_engine(Settings())
    start = time.perf_counter()
    dataset = validate_dataset(generate_city(args.buildings, args.grids), "benchmark city")
    print(
        f"generated {len(dataset.layers['buildings']):,} buildings, {len(dataset.layers['grids']):,} grids, "
        f"{len(dataset.layers['communities']):,} communities in {time.perf_counter() - start:.1f} s"
    )
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    start = time.perf_counter()
    imports.import_dataset(engine, dataset, "benchmark city")
    print(f"stored in PostGIS in {time.perf_counter() - start:.1f} s (not part of the comparison)")

    ours, loads, refs = [], [], []
    for round_ in range(args.rounds + 1):  # the first round only warms caches on both sides
        t0 = time.perf_counter()
        with engine.connect() as conn:
            scene = load_scene(conn)
        t1 = time.perf_counter()
        cov = compute_coverage(scene)
        body = json.dumps(cov.tree(), ensure_ascii=False)
        gaps = cov.gap_list()
        t2 = time.perf_counter()
        reference(engine)
        t3 = time.perf_counter()
        if round_ == 0:
            continue
        loads.append(t1 - t0)
        ours.append(t2 - t0)
        refs.append(t3 - t2)
    print(f"coverage tree {len(body) / 1e6:.1f} MB JSON, {len(gaps):,} gaps")
    for label, times in (
        ("gridsvc: load scene from PostGIS", loads),
        ("gridsvc: load + compute + tree + gaps", ours),
        ("reference: read_postgis + sjoin + groupby", refs),
    ):
        print(f"{label:<42} median {statistics.median(times):6.2f} s   runs " + " ".join(f"{t:.2f}" for t in times))
    total, ref = statistics.median(ours), statistics.median(refs)
    compute = statistics.median([o - lo for o, lo in zip(ours, loads, strict=True)])
    print(f"gridsvc total {total:.1f} s (target <= 15 s), of which compute + tree + gaps {compute:.1f} s")
    print(f"ratio gridsvc / reference: {total / ref:.2f}  (target <= 3)")


if __name__ == "__main__":
    main()
