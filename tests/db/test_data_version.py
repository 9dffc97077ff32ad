"""The data version moves on every real change (and only then), and cached coverage follows it."""

from __future__ import annotations

from sqlalchemy import text

from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports
from tests import coverage_scene as s
from tests import scenes


def version(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT version FROM data_version"))


def test_version_moves_only_when_rows_change(db, tmp_path):
    path = scenes.write(tmp_path / "small.gpkg")
    before = version(db)
    imports.import_file(db, path)
    after_import = version(db)
    assert after_import > before
    imports.import_file(db, path)  # identical data: upserts that change no row
    assert version(db) == after_import
    with db.begin() as conn:  # a change made outside gridsvc counts too
        conn.execute(text("UPDATE buildings SET households = 41 WHERE id = 'b1'"))
    assert version(db) > after_import


def test_coverage_is_cached_until_the_data_changes(db, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "cov.gpkg", s.frames()))
    first = coverage_service.coverage(db, s.C1)
    assert coverage_service.coverage(db, s.C1) is first
    assert coverage_service.coverage(db, s.G1) is first  # a grid's coverage is its community's
    with db.begin() as conn:
        conn.execute(text("UPDATE assignments SET end_date = '2025-01-01' WHERE staff_id = 'L1'"))
    fresh = coverage_service.coverage(db, s.C1)
    assert fresh is not first
    assert fresh.metrics(s.G1)["grid_leader_coverage"]["numerator"] == 0
    assert first.metrics(s.G1)["grid_leader_coverage"]["numerator"] == 1
