"""The demo district: deterministic, the size the issue asks, every planted gap present, marked generated."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from gridsvc.analysis.assignment import assign_to_polygons, representative_points
from gridsvc.demo import build_demo
from gridsvc.ingest.exchange import validate_dataset
from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports

PLANTED = {
    "building_no_grid",
    "grid_gap_area",
    "grid_overlap",
    "grid_outside_community",
    "split_building",
    "household_band",
    "no_grid_branch",
    "building_group_missing",
    "org_should_build",
    "org_no_work_coverage",
    "no_grid_leader",
    "multiple_grid_leaders",
    "no_grid_worker",
    "no_fulltime_worker",
    "worker_overloaded",
    "no_building_leader",
    "no_community_centre",
    "target_missed",
    "branch_needs_committee",
    "parent_outside_area",
    "unit_not_registered",
    "unit_registered_elsewhere",
    "need_unmet",
    "no_unit_seat",
    "branch_too_large",
    "joint_branch_invalid",
}


@pytest.fixture(scope="module")
def demo():
    return build_demo()


def test_demo_is_deterministic(demo):
    again = build_demo()
    for name, frame in demo.dataset.layers.items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), again.dataset.layers[name].reset_index(drop=True))


def test_demo_has_the_asked_size(demo):
    layers = demo.dataset.layers
    codes = layers["communities"]
    assert codes["street_code"].nunique() == 3 and len(codes) == 12
    grids = layers["grids"]
    party_side = grids["layer"].isin(["party", "unified"]).sum()
    staff_side = grids["layer"].isin(["governance", "unified"]).sum()
    assert 50 <= party_side <= 70 and 50 <= staff_side <= 70
    assert 1700 <= len(layers["buildings"]) <= 2300
    b = layers["buildings"]
    members = (b["full_members"].sum() + b["probationary_members"].sum()) / b["residents"].sum()
    assert 0.06 <= members <= 0.08


def test_every_gap_kind_is_planted(demo):
    assert PLANTED <= set(demo.plants.items)


def test_grids_fill_their_community_except_planted_gaps(demo):
    communities = demo.dataset.layers["communities"].to_crs(4548)
    grids = demo.dataset.layers["grids"].to_crs(4548)
    gap_communities = {where for where, _ in demo.plants.items["grid_gap_area"]}
    for _, c in communities.iterrows():
        for layer in ("governance", "party"):
            mine = grids[(grids["community_code"] == c["code"]) & grids["layer"].isin([layer, "unified"])]
            uncovered = shapely.difference(c.geometry, shapely.union_all(mine.geometry.values)).area
            if c["code"] in gap_communities and layer == "governance":
                assert uncovered > 10_000  # m²
            else:
                assert uncovered < 0.01, (c["code"], layer)


def test_planted_building_without_grid_exists(demo):
    b = demo.dataset.layers["buildings"]
    g = demo.dataset.layers["grids"]
    governance = g[g["layer"].isin(["governance", "unified"])]
    where = assign_to_polygons(representative_points(b.geometry.values), governance.geometry.values)
    assert (where < 0).sum() >= 1


def test_demo_passes_import_checks(demo):
    validate_dataset(demo.dataset, "demo")


def test_demo_stores_generated_rows_and_is_idempotent(db):
    result, _ = imports.build_demo(db, 20240501)
    assert result.counts["buildings"].inserted > 1700
    again, _ = imports.build_demo(db, 20240501)
    assert again.changed == 0
    with db.connect() as conn:
        sources = set(
            conn.execute(
                text("SELECT source FROM buildings UNION SELECT source FROM grids UNION SELECT source FROM areas")
            ).scalars()
        )
        names = conn.execute(text("SELECT name FROM areas WHERE level = 'district'")).scalars().all()
    assert sources == {"generated"}
    assert any("生成数据" in n for n in names)


def test_demo_on_osm_footprints(db, osm_file):
    import pyogrio

    result, demo = imports.build_demo(db, 7, osm_file)
    gdal = pyogrio.read_dataframe(osm_file, layer="multipolygons", columns=["building"])
    assert result.counts["buildings"].inserted == gdal["building"].notna().sum()
    assert PLANTED <= set(demo.plants.items)
    with db.connect() as conn:
        kept = conn.scalar(text("SELECT count(*) FROM buildings WHERE osm_id IS NOT NULL AND source = 'generated'"))
        communities = conn.scalar(text("SELECT count(*) FROM areas WHERE level = 'community'"))
        empty = conn.scalar(
            text("""SELECT count(*) FROM areas a WHERE level = 'community' AND NOT EXISTS
                                    (SELECT 1 FROM buildings b WHERE ST_Intersects(b.rep_point, a.geom))""")
        )
    assert kept == result.counts["buildings"].inserted
    assert communities == 12 and empty == 0


def test_demo_coverage_finds_every_planted_gap(db):
    _, demo = imports.build_demo(db, 20240501)
    cov = coverage_service.coverage(db, demo.district_code)
    found = set(cov.gaps["kind"])
    assert PLANTED <= found
    for kind, items in demo.plants.items.items():
        objects = set(cov.gap_list(kind=kind)["object_id"]) | set(cov.gap_list(kind=kind)["community"])
        assert any(where in objects for where, _ in items), kind


def test_demo_alignment_lists_unmatched_grids(db):
    _, demo = imports.build_demo(db, 20240501)
    community = demo.district_code + "001002"  # one Party grid more than governance grids
    result = coverage_service.alignment(db, community)
    assert [u["side"] for u in result.unmatched] == ["party"]
    assert 0 < result.rate["value"] < 1 and result.moves
    unified = coverage_service.alignment(db, demo.district_code + "001001")
    assert unified.rate["value"] == 1.0


def test_importing_the_demos_own_export_changes_nothing(db, tmp_path):
    """Issue 14, item 10: the export right after ``gridsvc demo``, imported again, is the same data:
    no street or district flips from ``generated`` to ``import``, nothing counts as changed."""
    from tests.conftest import fingerprint

    imports.build_demo(db, 20240501)
    before = fingerprint(db)
    path = tmp_path / "demo.gpkg"
    imports.export_file(db, path)
    result = imports.import_file(db, path)
    changed = {table: str(c) for table, c in result.counts.items() if c.changed}
    assert changed == {}
    assert {t: v for t, v in fingerprint(db).items() if t not in ("imports", "audit_log")} == {
        t: v for t, v in before.items() if t not in ("imports", "audit_log")
    }
