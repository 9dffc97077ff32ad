"""A bulk load drops the table's GiST and plain indexes and builds them again: afterwards the table
has every index it had, with the same definition, and none is left invalid — on a first load into
an empty table and on a re-import that changes many rows."""

from __future__ import annotations

from sqlalchemy import text

from benchmarks.city import generate_city
from gridsvc.ingest.exchange import validate_dataset
from gridsvc.repository import write
from gridsvc.services import imports

INDEXES = """SELECT i.indexname, i.indexdef, x.indisvalid FROM pg_indexes i
             JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid
             WHERE i.tablename = 'buildings' ORDER BY i.indexname"""


def _indexes(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(INDEXES))]


def test_every_index_is_back_after_a_bulk_load(db, monkeypatch):
    monkeypatch.setattr(write, "BULK_ROWS", 100)  # a small city counts as bulk
    before = _indexes(db)
    names = {name for name, _, _ in before}
    assert {"buildings_pkey", "buildings_osm_id", "buildings_geom_gist", "buildings_rep_point_gist"} <= names
    city = generate_city(600, 16)
    imports.import_dataset(db, validate_dataset(city, "city"), "city")  # into the empty table
    assert _indexes(db) == before
    city.layers["buildings"]["households"] = city.layers["buildings"]["households"].fillna(0) + 1
    result = imports.import_dataset(db, validate_dataset(city, "city again"), "city again")  # 600 rows change
    assert result.counts["buildings"].updated == 600
    assert _indexes(db) == before
    assert all(valid for _, _, valid in _indexes(db))
