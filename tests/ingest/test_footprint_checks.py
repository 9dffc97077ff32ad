"""What a footprint import cannot decide alone is refused with the option that decides it, and what
it did decide is said (issue 14, items 3, 4, 5 and 8): pieces of one building cut apart by a tiled
source (``--dissolve-duplicates``), invalid footprints (``--repair``), 3D coordinates, points beside
polygons (``--points``), and an update that moves many stored buildings alike, the signature of
GCJ-02 read as CGCS2000 (``--accept-moves``). Each refusal leaves the database as it was."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from gridsvc.analysis.crs import wgs84_to_datum
from tests.conftest import fingerprint


def _box(i: int, dy: int = 0):
    x, y = 118.78 + i * 0.001, 32.04 + dy * 0.001
    return shapely.box(x, y, x + 0.0002, y + 0.0002)


def _file(tmp_path, filename: str, ids: list[str], geometries, crs=4326, **columns):
    path = tmp_path / filename
    frame = gpd.GeoDataFrame({"id": ids, "use": ["residential"] * len(ids), **columns}, geometry=geometries, crs=crs)
    frame.to_file(path)
    return path


def _stored(db, column: str = "ST_Area(geom::geography)") -> dict[str, object]:
    with db.connect() as conn:
        return dict(conn.execute(text(f"SELECT id, {column} FROM buildings ORDER BY id")).all())


# -- item 4: tiled sources cut buildings apart --------------------------------------------------


@pytest.fixture
def tiled(tmp_path):
    left = shapely.box(118.78, 32.04, 118.7801, 32.0402)  # t1 cut at a tile edge, x = 118.7801
    right = shapely.box(118.7801, 32.04, 118.7802, 32.0402)
    return _file(tmp_path, "tiles.geojson", ["t1", "t1", "t2"], [left, right, _box(2)], name=[None, "一号楼", "二号楼"])


def test_pieces_sharing_an_id_are_refused_with_the_option_that_merges_them(gridsvc, db, tiled):
    before = fingerprint(db)
    result = gridsvc("import", tiled)
    assert result.exit_code == 2
    assert "要素 #1 (id=t1)，字段 'id'：id 't1' 重复" in result.output
    assert "--dissolve-duplicates 可把它们合并" in result.output
    assert fingerprint(db) == before


def test_dissolve_duplicates_unions_the_pieces_and_says_so(gridsvc, db, tiled):
    result = gridsvc("import", tiled, "--dissolve-duplicates")
    assert result.exit_code == 0, result.output
    assert "2 块共用 1 个 id，已合并成 1 栋楼" in result.output
    assert _stored(db, "name") == {"t1": "一号楼", "t2": "二号楼"}
    areas = _stored(db)
    assert areas["t1"] == pytest.approx(areas["t2"], rel=1e-3)  # both halves: a whole 0.0002° square, like t2
    assert _stored(db, "ST_NumGeometries(geom)")["t1"] == 1


# -- item 8: invalid and 3D footprints -----------------------------------------------------------

BOWTIE = shapely.Polygon([(118.78, 32.04), (118.7802, 32.0402), (118.7802, 32.04), (118.78, 32.0402)])


def test_an_invalid_footprint_is_reported_with_its_id_not_repaired_silently(gridsvc, db, tmp_path):
    path = _file(tmp_path, "bow.geojson", ["ok", "bow"], [_box(3), BOWTIE])
    before = fingerprint(db)
    result = gridsvc("import", path)
    assert result.exit_code == 2
    assert "要素 #1 (id=bow)，字段 'geometry'：几何无效：自相交（" in result.output
    assert "--repair 可修复无效的轮廓" in result.output
    assert fingerprint(db) == before


def test_repair_mends_and_lists_parts_and_area(gridsvc, db, tmp_path):
    path = _file(tmp_path, "bow.geojson", ["ok", "bow"], [_box(3), BOWTIE])
    result = gridsvc("import", path, "--repair")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "id=bow" in x)
    assert "自相交，已修复：1 → 2 块" in line and "平方米" in line
    assert _stored(db, "ST_IsValid(geom)") == {"bow": True, "ok": True}
    assert _stored(db, "ST_NumGeometries(geom)")["bow"] == 2  # the two triangles of the bow tie


def test_3d_coordinates_are_stored_2d_with_a_note(gridsvc, db, tmp_path):
    cube = shapely.force_3d(_box(4), 30.0)
    result = gridsvc("import", _file(tmp_path, "z.geojson", ["z1"], [cube]))
    assert result.exit_code == 0, result.output
    assert "1 个要素带三维坐标，已存为二维（去掉高度）" in result.output
    assert _stored(db, "ST_NDims(geom)") == {"z1": 2}


# -- item 3: points beside polygons ------------------------------------------------------------


def test_points_beside_polygons_are_skipped_or_read_with_points(gridsvc, db, tmp_path):
    path = tmp_path / "mixed.geojson"
    features = [
        {"type": "Feature", "properties": {"id": i, "use": "residential"}, "geometry": g}
        for i, g in [
            ("poly", shapely.geometry.mapping(_box(0))),
            ("multi", shapely.geometry.mapping(shapely.MultiPolygon([_box(1), _box(1, 1)]))),
            ("pt", {"type": "Point", "coordinates": [118.785, 32.041]}),
        ]
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    skipped = gridsvc("import", path)
    assert skipped.exit_code == 0, skipped.output
    assert "面要素之外的 1 个点要素已跳过（要素 2）" in skipped.output
    assert set(_stored(db, "GeometryType(geom)")) == {"poly", "multi"}
    kept = gridsvc("import", path, "--points")
    assert kept.exit_code == 0, kept.output
    assert "1 个点要素按点状楼栋读取（--points）" in kept.output
    assert _stored(db, "GeometryType(geom)")["pt"] == "POINT"


# -- item 5: datum mistakes --------------------------------------------------------------------

TOWN = [_box(i % 4, i // 4) for i in range(8)]
IDS = [f"h{i}" for i in range(8)]


def test_a_gcj02_copy_of_stored_buildings_is_refused_as_a_move(gridsvc, db, tmp_path):
    assert gridsvc("import", _file(tmp_path, "true.geojson", IDS, TOWN)).exit_code == 0
    before = fingerprint(db)
    amap = _file(tmp_path, "amap.geojson", IDS, list(wgs84_to_datum(TOWN, "gcj02")))
    result = gridsvc("import", amap)
    assert result.exit_code == 2
    assert "文件中已入库的 8 栋楼有 8 栋会整体移动约" in result.output
    assert "GCJ-02" in result.output and "--accept-moves" in result.output
    assert fingerprint(db) == before
    assert gridsvc("import", amap, "--datum", "gcj02").exit_code == 0  # read right, nothing moves far
    assert gridsvc("import", amap, "--accept-moves").exit_code == 0
    moved = _stored(db, "ST_Distance(rep_point::geography, ST_SetSRID(ST_MakePoint(0, 0), 4490)::geography)")
    assert moved != before and len(moved) == 8


def test_real_edits_that_move_a_few_buildings_are_not_refused(gridsvc, db, tmp_path):
    assert gridsvc("import", _file(tmp_path, "true.geojson", IDS, TOWN)).exit_code == 0
    edited = list(TOWN)
    edited[0] = shapely.affinity.translate(TOWN[0], 0.003, 0.0)  # one building redrawn 280 m east
    edited[1] = shapely.affinity.translate(TOWN[1], 0.0, -0.004)  # another 440 m south
    result = gridsvc("import", _file(tmp_path, "edit.geojson", IDS, edited))
    assert result.exit_code == 0, result.output
    assert "更新 2" in result.output


def test_datum_contradicting_a_declared_cgcs2000_crs_is_warned(gridsvc, db, tmp_path):
    path = tmp_path / "cgcs.gpkg"
    gpd.GeoDataFrame({"id": ["c1"], "use": ["office"]}, geometry=[_box(5)], crs=4490).to_file(path, layer="楼栋")
    result = gridsvc("import", path, "--datum", "gcj02")
    assert result.exit_code == 0, result.output
    assert "警告：文件声明为 EPSG:4490，而 --datum gcj02 会把它移动约 500 米" in result.output
    plain = tmp_path / "plain.geojson"  # RFC 7946 GeoJSON declares nothing: no warning
    gpd.GeoDataFrame({"id": ["c2"], "use": ["office"]}, geometry=[_box(6)], crs=4326).to_file(plain)
    assert "警告" not in gridsvc("import", plain, "--datum", "gcj02").output
