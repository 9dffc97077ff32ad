"""Grid history: a replaced grid stays queryable by date, and only one current grid holds a code."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gridsvc.repository import read as repo
from gridsvc.services import imports
from tests import scenes

CODE = scenes.C1 + "001"


def _replace_grid(conn, on: dt.date, new_geom: shapely.Polygon) -> None:
    conn.execute(text("UPDATE grids SET valid_from = '2024-01-01' WHERE code = :c"), {"c": CODE})
    conn.execute(text("UPDATE grids SET valid_to = :on WHERE code = :c AND valid_to IS NULL"), {"c": CODE, "on": on})
    conn.execute(
        text("""INSERT INTO grids (code, layer, community_code, name, geom, valid_from)
                         VALUES (:c, 'unified', :community, 'G1 new', ST_GeomFromText(:wkt, 4490), :on)"""),
        {"c": CODE, "community": scenes.C1, "wkt": shapely.MultiPolygon([new_geom]).wkt, "on": on},
    )


def test_grids_by_date(db, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "small.gpkg"))
    with db.begin() as conn:
        _replace_grid(conn, dt.date(2025, 7, 1), scenes.box(0, 0, 100, 200))
    with db.connect() as conn:
        before = repo.grids(conn, code=CODE, on=dt.date(2025, 6, 30))
        after = repo.grids(conn, code=CODE, on=dt.date(2025, 7, 1))
        today = repo.grids(conn, code=CODE)
        untouched = repo.grids(conn, code=scenes.C1 + "002", on=dt.date(2025, 6, 30))
    assert before["name"].tolist() == ["G1"] and before["layer"].tolist() == ["governance"]
    assert after["name"].tolist() == ["G1 new"] and today["name"].tolist() == ["G1 new"]
    assert len(untouched) == 0  # imported today: not valid yet in 2025


def test_only_one_current_grid_per_code(db, tmp_path):
    imports.import_file(db, scenes.write(tmp_path / "small.gpkg"))
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(
            text("""INSERT INTO grids (code, layer, community_code, geom)
                             SELECT code, layer, community_code, geom FROM grids WHERE code = :c"""),
            {"c": CODE},
        )
