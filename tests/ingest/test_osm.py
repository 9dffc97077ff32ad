"""Real OSM footprints (../shared/data/osm): exactly what GDAL reads, with their tags."""

from __future__ import annotations

import pyogrio
from sqlalchemy import text

from gridsvc.ingest import ReadOptions
from gridsvc.ingest.osm import osm_use, parse_other_tags
from gridsvc.services import imports


def test_osm_import_stores_exactly_gdal_building_polygons(db, osm_file):
    gdal = pyogrio.read_dataframe(osm_file, layer="multipolygons", columns=["building", "osm_id", "osm_way_id"])
    expected = gdal[gdal["building"].notna()]
    result = imports.import_file(db, osm_file)
    assert result.counts["buildings"].inserted == len(expected)
    with db.connect() as conn:
        stored = set(conn.execute(text("SELECT osm_id FROM buildings WHERE source = 'osm'")).scalars())
        assert conn.scalar(text("SELECT count(*) FROM buildings")) == len(expected)
        kinds = set(conn.execute(text("SELECT DISTINCT GeometryType(geom) FROM buildings")).scalars())
    ways = {f"way/{w}" for w in expected["osm_way_id"].dropna()}
    relations = {f"relation/{r}" for r in expected.loc[expected["osm_way_id"].isna(), "osm_id"]}
    assert stored == ways | relations
    assert kinds <= {"POLYGON", "MULTIPOLYGON"}


def test_osm_keeps_levels_names_types_and_use(db, osm_file):
    imports.import_file(db, osm_file)
    gdal = pyogrio.read_dataframe(osm_file, layer="multipolygons", columns=["building", "other_tags", "name"])
    gdal = gdal[gdal["building"].notna()]
    with_levels = sum("building:levels" in parse_other_tags(t) for t in gdal["other_tags"])
    with db.connect() as conn:
        assert conn.scalar(text("SELECT count(floors) FROM buildings")) == with_levels
        assert conn.scalar(text("SELECT count(name) FROM buildings")) == gdal["name"].notna().sum()
        types = dict(conn.execute(text("SELECT building_type, count(*) FROM buildings GROUP BY 1")).all())
        uses = dict(conn.execute(text("SELECT use, count(*) FROM buildings GROUP BY 1")).all())
        roads = conn.scalar(text("SELECT count(*) FROM roads"))
    assert types == gdal["building"].value_counts().to_dict()
    assert uses["residential"] >= types["residential"] + types["apartments"]
    assert uses["public"] >= types["school"] + types["hospital"]
    assert roads > 0


def test_osm_reimport_changes_nothing(db, osm_file):
    imports.import_file(db, osm_file)
    assert imports.import_file(db, osm_file).changed == 0


def test_other_tags_and_use():
    tags = parse_other_tags('"building:levels"=>"4","name:en"=>"A \\"quoted\\" name"')
    assert tags["building:levels"] == "4"
    assert osm_use("yes", {"shop": "mall"}) == "commercial"
    assert osm_use("yes", {"amenity": "school"}) == "public"
    assert osm_use("apartments", {}) == "residential"
    assert osm_use("yes", {}) == "other"


def test_osm_buildings_exported_to_geojson_by_gdal_import_as_the_osm_file_does(db, osm_file, tmp_path):
    """The usual way OSM footprints arrive as a file: ``ogr2ogr -f GeoJSON out.geojson x.osm
    multipolygons``. A way's id is in osm_way_id (osm_id is blank but for relations), its levels
    and address in other_tags; before, every way of the 1,277 buildings was refused ('id 必填值为空')."""
    gdal = pyogrio.read_dataframe(osm_file, layer="multipolygons")
    exported = tmp_path / "buildings.geojson"
    pyogrio.write_dataframe(gdal[gdal["building"].notna()], exported, driver="GeoJSON")
    result = imports.import_file(db, exported)
    assert any("GDAL 从 OSM 导出" in note for note in result.notes), result.notes
    with db.connect() as conn:
        from_geojson = conn.execute(text("SELECT id, osm_id, floors, use, name FROM buildings ORDER BY id")).all()
        conn.execute(text("DELETE FROM buildings"))
        conn.commit()
    imports.import_file(db, osm_file)
    with db.connect() as conn:
        from_osm = conn.execute(text("SELECT id, osm_id, floors, use, name FROM buildings ORDER BY id")).all()
    assert from_geojson == from_osm and sum(r.floors is not None for r in from_geojson) > 100


def test_default_use_names_the_osm_buildings_whose_tags_name_no_kind(db, osm_file, tmp_path):
    """``--default-use`` was ignored for OSM: a building tagged only ``building=yes`` was stored as
    ``other`` whatever the user said, and nothing said so."""
    plain = imports.import_file(db, osm_file)
    with db.connect() as conn:
        before = dict(conn.execute(text("SELECT id, use FROM buildings")).all())
        yes = set(
            conn.execute(text("SELECT id FROM buildings WHERE building_type = 'yes' AND use = 'other'")).scalars()
        )
    said = [n for n in plain.notes if "栋楼的 OSM 标签未写类型（building=yes），用途记为 其他（other）" in n]
    unnamed = int(said[0].split(" ")[0]) if said else 0
    assert 100 < unnamed <= len(yes), plain.notes  # the rest of the 'yes' name a kind elsewhere (amenity=…)
    told = imports.import_file(db, osm_file, ReadOptions(default_use="residential"))
    assert any(f"{unnamed} 栋楼" in n and "用途记为 住宅（residential，--default-use）" in n for n in told.notes), (
        told.notes
    )
    with db.connect() as conn:
        after = dict(conn.execute(text("SELECT id, use FROM buildings")).all())
    changed = {i for i in after if after[i] != before[i]}
    assert len(changed) == unnamed and changed <= yes and {after[i] for i in changed} == {"residential"}
    # the same file exported by ogr2ogr reads the same
    gdal = pyogrio.read_dataframe(osm_file, layer="multipolygons")
    exported = tmp_path / "buildings.geojson"
    pyogrio.write_dataframe(gdal[gdal["building"].notna()], exported, driver="GeoJSON")
    imports.import_file(db, exported, ReadOptions(default_use="residential"))
    with db.connect() as conn:
        assert dict(conn.execute(text("SELECT id, use FROM buildings")).all()) == after
