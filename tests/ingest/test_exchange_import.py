"""Importing and exporting the exchange GeoPackage: counts, idempotence, round trip."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from sqlalchemy import text

from gridsvc.errors import ImportRejected
from gridsvc.ingest import ReadOptions
from gridsvc.ingest.schema import LAYER_BY_NAME
from gridsvc.services import imports
from tests import scenes
from tests.conftest import fingerprint


@pytest.fixture
def small_file(tmp_path):
    return scenes.write(tmp_path / "small.gpkg")


def test_import_stores_every_layer(db, small_file):
    result = imports.import_file(db, small_file)
    inserted = {table: c.inserted for table, c in result.counts.items()}
    assert inserted == {
        "areas": 4,
        "grids": 5,
        "buildings": 6,
        "organizations": 2,
        "party_orgs": 4,
        "party_org_scopes": 4,
        "staff": 4,
        "assignments": 4,
    }
    with db.connect() as conn:
        levels = dict(conn.execute(text("SELECT level, count(*) FROM areas GROUP BY level")).all())
        assert levels == {"district": 1, "street": 1, "community": 2}
        # the street's boundary is the union of its two communities: 400 m × 200 m
        area = conn.scalar(text(f"SELECT ST_Area(ST_Transform(geom, 4549)) FROM areas WHERE code = '{scenes.STREET}'"))
        assert area == pytest.approx(80_000, rel=0.01)
        srids = (
            conn.execute(
                text("SELECT DISTINCT ST_SRID(geom) FROM grids UNION SELECT DISTINCT ST_SRID(geom) FROM buildings")
            )
            .scalars()
            .all()
        )
        assert srids == [4490]


def test_missing_households_are_estimated_and_marked(db, small_file):
    imports.import_file(db, small_file)
    with db.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, households || '/' || households_estimated FROM buildings")).all())
    assert rows["b5"] == "24/true"  # 6 floors × 2 units × 2
    assert rows["b1"] == "40/false"
    assert rows["b4"] is None  # an office has no households to estimate


def test_reimport_changes_nothing(db, small_file):
    imports.import_file(db, small_file)
    before = fingerprint(db)
    again = imports.import_file(db, small_file)
    assert again.changed == 0
    assert all(c.unchanged > 0 and c.changed == 0 for c in again.counts.values())
    assert fingerprint(db) == before  # not even the import log grew


def test_later_file_updates_rows_by_key(db, tmp_path, small_file):
    imports.import_file(db, small_file)
    frames = scenes.layers()
    frames["buildings"].loc[frames["buildings"]["id"] == "b2", "full_members"] = 5
    result = imports.import_file(db, scenes.write(tmp_path / "later.gpkg", frames))
    assert result.counts["buildings"].updated == 1 and result.counts["buildings"].unchanged == 5
    with db.connect() as conn:
        assert conn.scalar(text("SELECT full_members FROM buildings WHERE id = 'b2'")) == 5


def _metric(geoms) -> np.ndarray:
    return gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=4490).to_crs(4549).values.to_numpy()


def test_export_round_trips_rows_and_geometries(db, small_file, tmp_path):
    imports.import_file(db, small_file)
    out = tmp_path / "out.gpkg"
    imports.export_file(db, out)
    for name, original in scenes.layers().items():
        exported = pyogrio.read_dataframe(out, layer=name)
        key = list(LAYER_BY_NAME[name].key)
        original = original.sort_values(key, na_position="first").reset_index(drop=True)
        exported = exported.sort_values(key, na_position="first").reset_index(drop=True)
        assert len(exported) == len(original), name
        for column in original.columns:
            if column == "geometry":
                continue
            a = original[column].astype("string").fillna("").str.replace(r"\.0$", "", regex=True)
            b = exported[column].astype("string").fillna("").str.replace(r"\.0$", "", regex=True)
            if column in ("fulltime", "has_union", "has_youth_league", "own"):
                a, b = (x.str.lower().replace({"1": "true", "0": "false"}) for x in (a, b))
            if column in ("households",):  # the estimate fills what the file left empty
                mask = a != ""
                a, b = a[mask], b[mask]
            assert a.tolist() == b.tolist(), f"{name}.{column}"
        if "geometry" in original:
            distances = shapely.hausdorff_distance(_metric(original.geometry.values), _metric(exported.geometry.values))
            assert distances.max() < 0.01, f"{name}: geometry moved {distances.max():.4f} m"
    # and the export reads back in as the very same data
    before = fingerprint(db)
    assert imports.import_file(db, out).changed == 0
    assert fingerprint(db) == before


def test_building_points_are_kept_as_points(db, small_file):
    imports.import_file(db, small_file)
    with db.connect() as conn:
        kinds = dict(conn.execute(text("SELECT id, GeometryType(geom) FROM buildings")).all())
    assert kinds["b3"] == "POINT" and kinds["b1"] == "POLYGON"


def test_import_log_records_changes(db, small_file):
    imports.import_file(db, small_file)
    with db.connect() as conn:
        rows = conn.execute(text("SELECT source_name, sha256, kind FROM imports")).all()
    assert len(rows) == 1 and rows[0][0].endswith("small.gpkg") and len(rows[0][1]) == 64


def test_datum_option_shifts_gcj02_back(db, tmp_path):
    """A footprint drawn on AMap (GCJ-02) lands where the WGS84 original is, within 0.5 m."""
    from gridsvc.analysis.crs import wgs84_to_datum

    truth = scenes.box(0, 0, 30, 20)
    shifted = wgs84_to_datum([truth], "gcj02")[0]
    path = tmp_path / "amap.geojson"
    gpd.GeoDataFrame({"id": ["amap-1"], "use": ["residential"]}, geometry=[shifted], crs=4326).to_file(path)
    imports.import_file(db, path, ReadOptions(datum="gcj02"))
    with db.connect() as conn:
        stored = shapely.from_wkb(conn.scalar(text("SELECT ST_AsBinary(geom) FROM buildings WHERE id = 'amap-1'")))
    assert shapely.hausdorff_distance(_metric([stored])[0], _metric([truth])[0]) < 0.5
    assert shapely.hausdorff_distance(_metric([shifted])[0], _metric([truth])[0]) > 100


def test_footprint_file_columns_matched_by_name(db, tmp_path):
    path = tmp_path / "survey.geojson"
    gpd.GeoDataFrame(
        {"ID": ["s-1", "s-2"], "层数": [12, 3], "use": ["residential", "shop"]},
        geometry=[scenes.box(0, 0, 20, 20), scenes.box(50, 0, 70, 20)],
        crs=4326,
    ).to_file(path)
    imports.import_file(db, path)
    with db.connect() as conn:
        rows = {r[0]: r[1:] for r in conn.execute(text("SELECT id, floors, use FROM buildings"))}
    assert rows == {"s-1": (12, "residential"), "s-2": (3, "commercial")}


def test_empty_yes_no_cells_take_their_defaults(db, tmp_path):
    frames = scenes.layers()
    frames["grids"]["urban"] = pd.array([True, None, False, None, None], dtype="boolean")
    imports.import_file(db, scenes.write(tmp_path / "urban.gpkg", frames))
    with db.connect() as conn:
        urban = dict(conn.execute(text("SELECT name, urban FROM grids")).all())
    assert urban == {"G1": True, "G2": True, "P1": False, "P2": True, "U1": True}


def test_bulk_load_into_empty_and_filled_tables(db, monkeypatch, small_file):
    """The bulk paths (direct COPY into an empty table; merge with indexes rebuilt) store the same rows."""
    from gridsvc.repository import write

    monkeypatch.setattr(write, "BULK_ROWS", 2)
    first = imports.import_file(db, small_file)
    assert first.counts["buildings"].inserted == 6
    before = fingerprint(db)
    assert imports.import_file(db, small_file).changed == 0
    assert fingerprint(db) == before
    with db.connect() as conn:
        gist = (
            conn.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'buildings' "
                    "AND indexdef LIKE '%gist%' ORDER BY 1"
                )
            )
            .scalars()
            .all()
        )
    assert gist == ["buildings_geom_gist", "buildings_rep_point_gist"]


def _gist_oids(db) -> dict[str, int]:
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, c.oid::int FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'gist' AND i.indrelid = 'buildings'::regclass"
            )
        ).all()
    return dict(rows)


def test_an_import_that_changes_little_keeps_the_spatial_indexes(db, monkeypatch, small_file, tmp_path):
    """Issue 14, item 11: re-importing the same big file, or one changing fewer rows than a bulk
    load, must not drop and rebuild the GiST indexes (that takes an exclusive lock: readers wait).
    A rebuilt index gets a new OID, so equal OIDs prove it was left alone."""
    from gridsvc.repository import write

    monkeypatch.setattr(write, "BULK_ROWS", 3)  # the 6 buildings of the file count as a bulk load
    imports.import_file(db, small_file)
    kept = _gist_oids(db)
    assert len(kept) == 2
    assert imports.import_file(db, small_file).changed == 0
    assert _gist_oids(db) == kept
    frames = scenes.layers()
    frames["buildings"].loc[frames["buildings"]["id"] == "b1", "residents"] = 999
    assert imports.import_file(db, scenes.write(tmp_path / "one.gpkg", frames)).counts["buildings"].updated == 1
    assert _gist_oids(db) == kept
    frames["buildings"]["residents"] = 1000  # all six change: a bulk update rebuilds them once
    assert imports.import_file(db, scenes.write(tmp_path / "all.gpkg", frames)).counts["buildings"].updated == 6
    assert set(_gist_oids(db)) == set(kept) and _gist_oids(db) != kept


def test_resident_units_and_branch_committees_import_count_and_export(db, tmp_path):
    """domain.md §8.1–8.3: the optional columns organizations.resident_unit and party_orgs.has_committee.
    o2 (a social organization) flagged a resident unit leaves the 两新 figures; br1 (12 full members)
    has a committee: no gap (ob1 has 4, below 7); re-imported without the flag, br1 is a gap."""
    from gridsvc.services import coverage as coverage_service

    frames = scenes.layers()
    frames["organizations"]["resident_unit"] = pd.array([None, True], dtype="boolean")
    frames["party_orgs"]["has_committee"] = pd.array([None, True, None, None], dtype="boolean")
    imports.import_file(db, scenes.write(tmp_path / "flags.gpkg", frames))
    with db.connect() as conn:
        assert dict(conn.execute(text("SELECT id, resident_unit FROM organizations")).all()) == {
            "o1": False,
            "o2": True,
        }
        assert conn.scalar(text("SELECT array_agg(id) FROM party_orgs WHERE has_committee")) == ["br1"]
        district = conn.scalar(text("SELECT code FROM areas WHERE level = 'district'"))
    cov = coverage_service.coverage(db, district)
    assert cov.metrics(district)["org_coverage"]["denominator"] == 1  # o1 only
    assert cov.metrics(district)["org_coverage@social_org"]["denominator"] == 0
    assert cov.gap_list(kind="branch_needs_committee").empty
    out = tmp_path / "out.gpkg"
    imports.export_file(db, out)
    assert pyogrio.read_dataframe(out, layer="organizations")["resident_unit"].tolist() == [False, True]
    assert pyogrio.read_dataframe(out, layer="party_orgs").set_index("id")["has_committee"]["br1"] == 1
    frames["party_orgs"]["has_committee"] = pd.array([None] * 4, dtype="boolean")
    imports.import_file(db, scenes.write(tmp_path / "no-committee.gpkg", frames))
    gaps = coverage_service.coverage(db, district).gap_list(kind="branch_needs_committee")
    assert list(gaps["object_id"]) == ["br1"]


def test_registrations_import_count_and_round_trip(db, tmp_path):
    """§8.1: o1 (own branch ob1) flagged a resident unit and registered with the community it stands
    in; b1 has 5 in-service members, 4 registered. Read back from PostGIS, the figures are 1/1 and 4/5,
    and the export imports again without a change."""
    from gridsvc.services import coverage as coverage_service

    frames = scenes.layers()
    imports.import_file(db, scenes.write(tmp_path / "plain.gpkg", frames))
    with db.connect() as conn:
        district = conn.scalar(text("SELECT code FROM areas WHERE level = 'district'"))
    home = coverage_service.coverage(db, district).units.organizations.set_index("id").loc["o1", "community"]
    frames["organizations"]["resident_unit"] = pd.array([True, None], dtype="boolean")
    frames["unit_registrations"] = pd.DataFrame(
        {"organization_id": ["o1"], "community_code": [home], "registered_on": ["2025-03-01"]}
    )
    n = len(frames["buildings"])
    frames["buildings"]["in_service_members"] = pd.array([5] + [None] * (n - 1), dtype="Int64")
    frames["buildings"]["in_service_registered"] = pd.array([4] + [None] * (n - 1), dtype="Int64")
    imports.import_file(db, scenes.write(tmp_path / "registered.gpkg", frames))
    metrics = coverage_service.coverage(db, district).metrics(district)
    assert (metrics["unit_registration_rate"]["numerator"], metrics["unit_registration_rate"]["denominator"]) == (1, 1)
    assert (metrics["member_registration_rate"]["numerator"], metrics["member_registration_rate"]["denominator"]) == (
        4,
        5,
    )
    out = tmp_path / "out.gpkg"
    imports.export_file(db, out)
    exported = pyogrio.read_dataframe(out, layer="unit_registrations")
    assert exported[["organization_id", "community_code"]].values.tolist() == [["o1", home]]
    before = fingerprint(db)
    assert imports.import_file(db, out).changed == 0
    assert fingerprint(db) == before


def test_cobuilding_layers_import_count_and_round_trip(db, tmp_path):
    """§8.1: o1 flagged a resident unit with an agreement in force with its street; a need open since
    2025 at a point, another raised this year without a place; a seat in C1 only, o1 stands in C2. Read back:
    cobuilding_rate 1/1, one need_unmet (the dated one), one no_unit_seat; the export holds the items
    with and without a point and imports again without a change."""
    import datetime as dt

    from gridsvc.services import coverage as coverage_service

    frames = scenes.layers()
    frames["organizations"]["resident_unit"] = pd.array([True, None], dtype="boolean")
    frames["cobuilding_agreements"] = pd.DataFrame(
        {"id": ["a1"], "area_code": [scenes.STREET], "organization_id": ["o1"], "valid_from": [dt.date(2025, 1, 1)]}
    )
    frames["cobuilding_items"] = gpd.GeoDataFrame(
        {
            "id": ["n1", "n2"],
            "area_code": [scenes.C1, scenes.C1],
            "list": ["need", "need"],
            "description": ["送餐", "照明"],
            "status": ["open", "open"],
            "opened_on": [dt.date(2025, 1, 1), dt.date.today()],
        },
        geometry=gpd.GeoSeries([scenes.point(20, 20), None], crs=4490).values,
    )
    frames["unit_seats"] = pd.DataFrame({"community_code": [scenes.C1], "organization_id": ["o2"]})
    result = imports.import_file(db, scenes.write(tmp_path / "cobuilding.gpkg", frames))
    assert result.changed > 0
    with db.connect() as conn:
        district = conn.scalar(text("SELECT code FROM areas WHERE level = 'district'"))
    cov = coverage_service.coverage(db, district)
    figure = cov.metrics(district)["cobuilding_rate"]
    assert (figure["numerator"], figure["denominator"]) == (1, 1)
    assert list(cov.gap_list(kind="need_unmet")["object_id"]) == ["n1"]
    home = cov.units.organizations.set_index("id").loc["o1", "community"]
    assert home != scenes.C1 and list(cov.gap_list(kind="no_unit_seat")["object_id"]) == [home]
    out = tmp_path / "out.gpkg"
    imports.export_file(db, out)
    items = pyogrio.read_dataframe(out, layer="cobuilding_items").set_index("id")
    assert items.geometry.isna().tolist() == [False, True]
    assert pyogrio.read_dataframe(out, layer="unit_seats")["organization_id"].tolist() == ["o2"]
    before = fingerprint(db)
    assert imports.import_file(db, out).changed == 0
    assert fingerprint(db) == before


def test_a_phone_in_groups_is_stored_without_blanks_and_said(db, tmp_path):
    """The exchange file takes 138 0000 0001 as a ledger does: blanks out, said; one still wrong
    without them is refused as written."""
    frames = scenes.layers()
    frames["staff"].loc[0, "phone"] = "138 0000 0001"
    result = imports.import_file(db, scenes.write(tmp_path / "grouped.gpkg", frames))
    assert "图层 'staff'，字段 'phone'：1 个值去掉了空格（如 '138 0000 0001' → '13800000001'）" in result.notes
    with db.connect() as conn:
        assert conn.scalar(text("SELECT phone FROM staff WHERE id = 's1'")) == "13800000001"
    frames["staff"].loc[1, "phone"] = "138 0000 000x"
    with pytest.raises(ImportRejected) as refused:
        imports.import_file(db, scenes.write(tmp_path / "wrong.gpkg", frames))
    assert "'138 0000 000x' 不符合格式" in str(refused.value)
