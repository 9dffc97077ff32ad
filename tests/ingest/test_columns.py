"""Footprint columns are read, not dropped (issue 14, item 2): ``Floor`` is the floor count, a height
gives floors at 3 m a storey (marked estimated), ``kind`` says the use, every ignored column is named,
and a building whose file says nothing of its use is ``unknown`` with no households invented.

Three hand-drawn 20 × 20 m buildings (two units each by the 200 m² rule):

=====  =====  ======  ===========  ===================================
id     Floor  height  kind         expected
=====  =====  ======  ===========  ===================================
a      18     54      apartments   residential, 18 floors, 18×2×2 = 72
b      –      33      office       office, 11 floors (estimated), none
c      –      –       yes          unknown, no floors, no households
=====  =====  ======  ===========  ===================================
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from tests.conftest import fingerprint


def _box(i: int):
    x, y = 118.78 + i * 0.001, 32.04
    return shapely.box(x, y, x + 20 / 94_500, y + 20 / 110_900)  # about 20 × 20 m at this latitude


@pytest.fixture
def tower_file(tmp_path):
    path = tmp_path / "towers.geojson"
    gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "Floor": [18, None, None],
            "height": [54.0, 33.0, None],
            "kind": ["apartments", "office", "yes"],
            "name:en": ["Tower A", "Tower B", "Gate"],
        },
        geometry=[_box(i) for i in range(3)],
        crs=4326,
    ).to_file(path)
    return path


def _stored(db) -> dict[str, tuple]:
    with db.connect() as conn:
        rows = conn.execute(text("SELECT id, use, floors, floors_estimated, households, building_type FROM buildings"))
        return {r[0]: tuple(r[1:]) for r in rows}


def test_floor_height_and_kind_are_read_and_what_was_ignored_is_named(gridsvc, db, tower_file):
    result = gridsvc("import", tower_file)
    assert result.exit_code == 0, result.output
    assert _stored(db) == {
        "a": ("residential", 18, False, 72, "apartments"),
        "b": ("office", 11, True, None, "office"),
        "c": ("unknown", None, False, None, "yes"),
    }
    assert "Floor → floors" in result.output and "kind → building_type" in result.output
    assert "忽略的列：name:en" in result.output
    assert "1 栋楼没有层数：按每层 3 米由高度估算层数" in result.output
    assert "1 栋楼没有注明用途：用途记为 用途未知（unknown），不估算户数" in result.output


def test_a_file_without_use_invents_no_households_unless_a_default_is_given(gridsvc, db, tmp_path):
    path = tmp_path / "plain.geojson"
    gpd.GeoDataFrame({"id": ["p1", "p2"], "层数": [6, 3]}, geometry=[_box(0), _box(1)], crs=4326).to_file(path)
    assert gridsvc("import", path).exit_code == 0
    assert {k: (v[0], v[1], v[3]) for k, v in _stored(db).items()} == {
        "p1": ("unknown", 6, None),
        "p2": ("unknown", 3, None),
    }
    result = gridsvc("import", path, "--default-use", "residential")
    assert result.exit_code == 0, result.output
    assert "用途记为 住宅（residential，--default-use）" in result.output
    assert {k: (v[0], v[3]) for k, v in _stored(db).items()} == {"p1": ("residential", 24), "p2": ("residential", 12)}


def test_column_maps_a_field_to_any_column(gridsvc, db, tmp_path):
    path = tmp_path / "odd.geojson"
    gpd.GeoDataFrame(
        {"id": ["o1"], "use": ["residential"], "NUM_STOREY": [9], "备注": ["x"]}, geometry=[_box(0)], crs=4326
    ).to_file(path)
    result = gridsvc("import", path, "--column", "floors=num_storey")
    assert result.exit_code == 0, result.output
    assert "NUM_STOREY → floors" in result.output and "忽略的列：备注" in result.output
    assert _stored(db)["o1"][:2] == ("residential", 9)


@pytest.mark.parametrize(
    "option, said",
    [
        ("floors=Storeys", "没有列 'Storeys'；现有列为 id, use, NUM_STOREY"),
        ("levels=NUM_STOREY", "未知字段 'levels'"),
        ("floors", "写成 字段=列名"),
    ],
)
def test_a_wrong_column_option_is_a_clear_error(gridsvc, db, tmp_path, option, said):
    path = tmp_path / "odd.geojson"
    gpd.GeoDataFrame({"id": ["o1"], "use": ["residential"], "NUM_STOREY": [9]}, geometry=[_box(0)], crs=4326).to_file(
        path
    )
    before = fingerprint(db)
    result = gridsvc("import", path, "--column", option)
    assert result.exit_code == 2 and said in result.output and "Traceback" not in result.output
    assert fingerprint(db) == before


def test_a_file_of_several_layers_says_which_was_read_and_which_were_not(gridsvc, db, tmp_path):
    """A survey GeoPackage holds more than buildings: the first polygon layer is read, and the
    others are named (before: left out without a word), with --layer to choose."""
    path = tmp_path / "测绘.gpkg"
    frame = gpd.GeoDataFrame({"id": ["w1"], "use": ["residential"]}, geometry=[_box(0)], crs=4326)
    frame.to_file(path, layer="建筑物")
    frame.assign(id=["r1"]).to_file(path, layer="围墙")
    first = gridsvc("import", path)
    assert first.exit_code == 0, first.output
    assert "读取图层 '建筑物'，未读取 '围墙'（--layer 可指定图层）" in first.output
    assert set(_stored(db)) == {"w1"}
    chosen = gridsvc("import", path, "--layer", "围墙")
    assert chosen.exit_code == 0 and "未读取" not in chosen.output, chosen.output
    assert set(_stored(db)) == {"w1", "r1"}
