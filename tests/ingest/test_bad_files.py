"""Real-world files that used to end in a traceback or a false message (issue 14, item 7 and 3): each
is a one-line error naming file, layer, feature and reason, exit code 2, nothing changed; a GeoJSON
mixing Polygon, MultiPolygon and Point is read as the polygonal layer it is, the points said."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from gridsvc.cli import main
from tests.conftest import fingerprint


def _square(x: float) -> list:
    return [
        [
            [118.78 + x, 32.04],
            [118.7802 + x, 32.04],
            [118.7802 + x, 32.0402],
            [118.78 + x, 32.0402],
            [118.78 + x, 32.04],
        ]
    ]


def _feature(fid: str, geometry) -> dict:
    return {"type": "Feature", "properties": {"id": fid, "use": "residential", "households": 10}, "geometry": geometry}


def _collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def _write(tmp_path, name: str) -> str:
    path = tmp_path / name
    if name == "empty.geojson":
        path.write_text(_collection())
    elif name == "nullgeom.geojson":
        path.write_text(_collection(_feature("a", None), _feature("b", {"type": "Polygon", "coordinates": _square(0)})))
    elif name == "zero-bytes.geojson":
        path.write_text("")
    elif name == "not-geojson.json":
        path.write_text(json.dumps({"a": 1}))
    elif name == "sqlite.gpkg":
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (x)")
    elif name == "lines.geojson":
        path.write_text(
            _collection(_feature("a", {"type": "LineString", "coordinates": [[118.78, 32.04], [118.79, 32.05]]}))
        )
    return str(path)


@pytest.mark.parametrize(
    "name, says",
    [
        ("empty.geojson", "图层 'empty'，字段 'geometry'：图层没有要素"),
        ("nullgeom.geojson", "图层 'nullgeom'，要素 0，字段 'geometry'：要素没有几何"),
        ("zero-bytes.geojson", "无法作为 GIS 文件读取（not recognized as being in a supported file format）"),
        ("not-geojson.json", "无法作为 GIS 文件读取"),
        ("sqlite.gpkg", "无法作为 GIS 文件读取（At least one of the required GeoPackage tables"),
        ("lines.geojson", "没有可读取楼栋的面或点图层"),
    ],
)
def test_a_bad_file_is_one_clear_line_and_changes_nothing(env, db, tmp_path, name, says):
    path = _write(tmp_path, name)
    before = fingerprint(db)
    result = CliRunner().invoke(main, ["import", path], env=env)
    assert result.exit_code == 2, result.output
    assert path in result.output and says in result.output
    assert "Traceback" not in result.output and "Warning" not in result.output
    assert fingerprint(db) == before


def test_a_column_of_mixed_kinds_is_checked_without_a_library_warning(env, db, tmp_path, recwarn):
    """A GeoJSON column holding a number on one feature and text on another made pyogrio print its
    own English warning, with a source line of gridsvc, before the import's own report."""
    mixed = [
        _feature("a", {"type": "Polygon", "coordinates": _square(0)}),
        _feature("b", {"type": "Polygon", "coordinates": _square(0.001)}),
    ]
    mixed[0]["properties"]["floors"], mixed[1]["properties"]["floors"] = "six", 3
    path = tmp_path / "mixed-floors.geojson"
    path.write_text(_collection(*mixed))
    before = fingerprint(db)
    result = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert result.exit_code == 2 and "字段 'floors'：'six' 不是整数" in result.output, result.output
    ours = [str(w.message) for w in recwarn if "/gridsvc/" in w.filename]
    assert "Warning" not in result.output and not ours, ours
    assert fingerprint(db) == before


def test_an_unknown_layer_names_the_layers_there(env, db, tmp_path):
    path = tmp_path / "buildings.geojson"
    path.write_text(_collection(_feature("a", {"type": "Polygon", "coordinates": _square(0)})))
    result = CliRunner().invoke(main, ["import", str(path), "--layer", "nope"], env=env)
    assert result.exit_code == 2 and "没有图层 'nope'；文件中有 'buildings'" in result.output


def test_polygons_and_multipolygons_are_one_layer_and_points_beside_them_are_said(env, db, tmp_path):
    path = tmp_path / "mixed.geojson"
    path.write_text(
        _collection(
            _feature("a", {"type": "Polygon", "coordinates": _square(0)}),
            _feature("b", {"type": "MultiPolygon", "coordinates": [_square(0.001)]}),
            _feature("c", {"type": "Point", "coordinates": [118.79, 32.05]}),
        )
    )
    result = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "面要素之外的 1 个点要素已跳过（要素 2）" in result.output
    with db.connect() as conn:
        from sqlalchemy import text

        assert sorted(conn.execute(text("SELECT id FROM buildings")).scalars()) == ["a", "b"]


def test_without_an_id_column_the_same_data_under_another_name_updates_instead_of_duplicating(env, db, tmp_path):
    """Issue 14, item 6: ids come from the footprints, not from the file name."""
    features = [
        {
            "type": "Feature",
            "properties": {"USE": "residential", "Households": 10},
            "geometry": {"type": "Polygon", "coordinates": _square(x)},
        }
        for x in (0, 0.001)
    ]
    first, second = tmp_path / "楼栋-第一版.geojson", tmp_path / "buildings-copy.geojson"
    first.write_text(_collection(*features))
    second.write_text(_collection(*reversed(features)))  # another name, another order
    one = CliRunner().invoke(main, ["import", str(first)], env=env)
    assert one.exit_code == 0 and "没有 id 列" in one.output, one.output
    two = CliRunner().invoke(main, ["import", str(second)], env=env)
    assert two.exit_code == 0 and "没有变化" in two.output, two.output
    with db.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT id, use, households FROM buildings ORDER BY id")).all()
    assert len(rows) == 2 and all(r.id.startswith("fp-") for r in rows)
    assert {(r.use, r.households) for r in rows} == {("residential", 10)}  # USE, Households: any case


def test_a_problem_names_the_layer_and_column_as_the_file_has_them(env, db, tmp_path):
    """A survey file's 层数 column in its layer 楼栋测绘: the refusal named layer 'buildings' and
    column 'floors', which the user's file does not have."""
    features = [
        _feature("a", {"type": "Polygon", "coordinates": _square(0)}),
        _feature("b", {"type": "Polygon", "coordinates": _square(0.001)}),
    ]
    for feature, floors in zip(features, ["六层", 7], strict=True):
        feature["properties"]["层数"] = floors
    path = tmp_path / "楼栋测绘.geojson"
    path.write_text(_collection(*features), encoding="utf-8")
    before = fingerprint(db)
    result = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert result.exit_code == 2, result.output
    assert "图层 '楼栋测绘'，要素 #0 (id=a)，字段 '层数'：'六层' 不是整数" in result.output, result.output
    assert "'buildings'" not in result.output and "'floors'" not in result.output
    assert fingerprint(db) == before
