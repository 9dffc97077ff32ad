"""A generated city for benchmarks: vectorized, so 200,000 buildings take seconds to make.

Communities on a lattice (10 per street, 10 streets per district), each cut into vertical
governance strips and horizontal Party strips (so the layers disagree), buildings on a jittered
lattice, organizations, Party organizations (grid branches, building groups, own and joint
branches) and staff (grid leaders, workers, building leaders). Everything is made up.
"""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gridsvc.dataset import Dataset

ORIGIN = (113.0, 28.0)  # lon/lat of the south-west corner
EPSG = 4545  # CGCS2000 GK zone with central meridian 114°E
SIZE = 600.0  # metres per community side


def _layout(buildings: int, grids: int) -> tuple[int, int]:
    """Grids per side of a community, and communities."""
    per_side = max(1, round(grids / 2 / max(1, math.ceil(buildings / 200))))
    return per_side, max(1, math.ceil(grids / (2 * per_side)))


def ensure_city(engine, buildings: int, grids: int) -> float | None:
    """Store the generated city unless the database holds one of its size already; the seconds
    storing took (None: it was there)."""
    import sys
    import time

    from sqlalchemy import text

    from gridsvc.ingest.exchange import validate_dataset
    from gridsvc.services import imports

    with engine.connect() as conn:
        stored = conn.execute(
            text(
                """SELECT (SELECT count(*) FROM buildings), (SELECT count(*) FROM grids WHERE valid_to IS NULL),
                          (SELECT count(*) FROM buildings WHERE id LIKE 'cb%')"""
            )
        ).one()
    per_side, n_comm = _layout(buildings, grids)
    # the city's own buildings (``cb…``): the import benchmark loads as many of its own into this database
    if tuple(stored) == (buildings, 2 * per_side * n_comm, buildings):
        return None
    print(
        f"storing a generated city of {buildings:,} buildings (the database holds {stored[0]:,}) ...", file=sys.stderr
    )
    made = generate_city(buildings, grids)
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    imports.import_dataset(engine, validate_dataset(made, "benchmark city"), "benchmark city")
    return time.perf_counter() - start


TABLES = "targets, unit_registrations, cobuilding_agreements, cobuilding_items, unit_seats, assignments, staff, party_org_scopes, party_orgs, organizations, facilities, grids, buildings, areas, roads, imports"


def generate_city(buildings: int = 200_000, grids: int = 10_000, seed: int = 1) -> Dataset:
    rng = np.random.default_rng(seed)
    per_side, n_comm = _layout(buildings, grids)
    per_comm = math.ceil(buildings / n_comm)
    cols = math.ceil(math.sqrt(n_comm))
    ox, oy = Transformer.from_crs(4326, EPSG, always_xy=True).transform(*ORIGIN)
    ci = np.arange(n_comm)
    cx, cy = ox + (ci % cols) * SIZE, oy + (ci // cols) * SIZE
    codes = np.array([f"{430100 + i // 100:06d}{(i // 10) % 10 + 1:03d}{i % 10 + 1:03d}" for i in ci])
    communities = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [f"社区{i + 1}" for i in ci],
            "street_code": [c[:9] for c in codes],
            "street_name": [f"街道{c[6:9]}" for c in codes],
            "district_code": [c[:6] for c in codes],
            "district_name": [f"区{c[:6]}" for c in codes],
        },
        geometry=shapely.box(cx, cy, cx + SIZE, cy + SIZE),
        crs=EPSG,
    )
    grid_frame = _grids(codes, cx, cy, per_side)
    b = _buildings(rng, n_comm, per_comm, cx, cy, buildings)
    orgs = _organizations(rng, codes, cx, cy)
    party_orgs, scopes = _party(rng, grid_frame, b, orgs)
    staff, assignments = _staff(rng, grid_frame, b)
    dataset = Dataset(source="generated")
    dataset.layers = {
        "communities": communities.to_crs(4490),
        "grids": grid_frame.to_crs(4490),
        "buildings": b.to_crs(4490),
        "organizations": orgs.to_crs(4490),
        "party_orgs": party_orgs,
        "party_org_scope": scopes,
        "staff": staff,
        "assignments": assignments,
    }
    return dataset


def _grids(codes, cx, cy, k) -> gpd.GeoDataFrame:
    step = SIZE / k
    j = np.arange(k)
    gov = shapely.box(cx[:, None] + j * step, cy[:, None], cx[:, None] + (j + 1) * step, cy[:, None] + SIZE)
    party = shapely.box(cx[:, None], cy[:, None] + j * step, cx[:, None] + SIZE, cy[:, None] + (j + 1) * step)
    rows = []
    for layer, geoms, offset in (("governance", gov, 1), ("party", party, k + 1)):
        for n in range(k):
            rows.append(
                pd.DataFrame(
                    {
                        "code": [f"{c}{n + offset:03d}" for c in codes],
                        "layer": layer,
                        "community_code": codes,
                        "name": f"{layer}{n + 1}",
                        "geometry": geoms[:, n],
                    }
                )
            )
    return gpd.GeoDataFrame(pd.concat(rows, ignore_index=True), geometry="geometry", crs=EPSG)


def _buildings(rng, n_comm, per_comm, cx, cy, total) -> gpd.GeoDataFrame:
    side = math.ceil(math.sqrt(per_comm))
    pitch = SIZE / side
    i = np.arange(n_comm * per_comm)[:total]
    c, k = i // per_comm, i % per_comm
    x = cx[c] + (k % side) * pitch + rng.uniform(2, 4, len(i))
    y = cy[c] + (k // side) * pitch + rng.uniform(2, 4, len(i))
    w, h = pitch * rng.uniform(0.4, 0.7, len(i)), pitch * rng.uniform(0.3, 0.6, len(i))
    residential = rng.random(len(i)) < 0.85
    households = np.where(residential, rng.choice([12, 18, 24, 36, 48], len(i)), 0)
    residents = np.round(households * 2.6).astype(int)
    return gpd.GeoDataFrame(
        {
            "id": [f"cb{n:07d}" for n in i],
            "use": np.where(residential, "residential", "commercial"),
            "households": pd.array(np.where(residential, households, pd.NA), dtype="Int64"),
            "residents": residents,
            "full_members": rng.binomial(residents, 0.065),
        },
        geometry=shapely.box(x, y, x + w, y + h),
        crs=EPSG,
    )


def _organizations(rng, codes, cx, cy) -> gpd.GeoDataFrame:
    n = len(codes) * 5
    c = np.repeat(np.arange(len(codes)), 5)
    return gpd.GeoDataFrame(
        {
            "id": [f"co{i:06d}" for i in range(n)],
            "name": [f"企业{i}" for i in range(n)],
            "kind": "enterprise",
            "full_members": rng.choice([0, 1, 2, 3, 5, 8], n),
            "has_union": rng.random(n) < 0.3,
            "has_youth_league": rng.random(n) < 0.1,
        },
        geometry=shapely.points(cx[c] + rng.uniform(5, SIZE - 5, n), cy[c] + rng.uniform(5, SIZE - 5, n)),
        crs=EPSG,
    )


def _party(rng, grids, b, orgs) -> tuple[pd.DataFrame, pd.DataFrame]:
    party = grids[grids["layer"] == "party"]
    keep = rng.random(len(party)) < 0.97
    branches = pd.DataFrame({"id": "pb-" + party["code"][keep], "name": "网格党支部", "kind": "branch"})
    scopes = [
        pd.DataFrame(
            {"party_org_id": branches["id"], "target_type": "grid", "target_id": party["code"][keep].to_numpy()}
        )
    ]
    eligible = b[(b["use"] == "residential") & (b["full_members"] >= 3)]
    groups = eligible[rng.random(len(eligible)) < 0.9]
    orgs_pg = pd.DataFrame({"id": "pg-" + groups["id"], "name": "楼栋党小组", "kind": "group"})
    scopes.append(pd.DataFrame({"party_org_id": orgs_pg["id"], "target_type": "building", "target_id": groups["id"]}))
    own = orgs[(orgs["full_members"] >= 3) & (rng.random(len(orgs)) < 0.9)]
    own_orgs = pd.DataFrame({"id": "po-" + own["id"], "name": "企业党支部", "kind": "branch"})
    scopes.append(
        pd.DataFrame(
            {"party_org_id": own_orgs["id"], "target_type": "organization", "target_id": own["id"], "own": True}
        )
    )
    party_orgs = pd.concat([branches, orgs_pg, own_orgs], ignore_index=True)
    return party_orgs, pd.concat(scopes, ignore_index=True)


def _staff(rng, grids, b) -> tuple[pd.DataFrame, pd.DataFrame]:
    gov = grids[grids["layer"] == "governance"]["code"].to_numpy()
    residential = b.loc[(b["use"] == "residential") & (rng.random(len(b)) < 0.9), "id"].to_numpy()
    ids = np.concatenate(["gl-" + gov, "gw-" + gov, "bl-" + residential])
    roles = ["grid_leader"] * len(gov) + ["grid_worker"] * len(gov) + ["building_leader"] * len(residential)
    staff = pd.DataFrame(
        {
            "id": ids,
            "name": "某某",
            "role": roles,
            "fulltime": [True] * (2 * len(gov)) + [False] * len(residential),
            "phone": [f"138{i:08d}" for i in range(len(ids))],
        }
    )
    targets = np.concatenate([gov, gov, residential])
    kinds = ["grid"] * (2 * len(gov)) + ["building"] * len(residential)
    assignments = pd.DataFrame(
        {
            "staff_id": ids,
            "target_type": kinds,
            "target_id": targets,
            "start_date": dt.date(2024, 1, 1),
            "end_date": None,
        }
    )
    return staff, assignments
