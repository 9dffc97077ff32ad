"""Every kind of bad input is refused with a message naming layer, feature, column and reason,
and leaves the database exactly as it was."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from gridsvc.cli import main
from gridsvc.errors import ImportRejected
from gridsvc.services import imports
from tests import scenes
from tests.conftest import fingerprint

C1 = scenes.C1


@pytest.fixture
def loaded(db, tmp_path):
    """The database holding the small district, and its fingerprint."""
    imports.import_file(db, scenes.write(tmp_path / "small.gpkg"))
    return db, fingerprint(db)


def _set(frames, layer, row_id, column, value, key="id"):
    frame = frames[layer]
    frame[column] = frame[column].astype(object)
    frame.loc[frame[key] == row_id, column] = value


def missing_layer(f):
    # grids alone, naming a community that neither the file nor the database has
    grids = f["grids"].iloc[[0]].copy()
    grids["code"], grids["community_code"] = "329901001009001", "329901001009"
    return {"grids": grids}


def missing_column(f):
    f["buildings"] = f["buildings"].drop(columns=["use"])
    return f


def wrong_type(f):
    _set(f, "buildings", "b2", "floors", "six")
    return f


def invalid_geometry(f):
    bowtie = shapely.Polygon(
        [scenes.lonlat(0, 0), scenes.lonlat(100, 100), scenes.lonlat(100, 0), scenes.lonlat(0, 100)]
    )
    f["grids"].loc[f["grids"]["code"] == C1 + "002", "geometry"] = bowtie
    return f


def empty_geometry(f):
    f["buildings"].loc[f["buildings"]["id"] == "b2", "geometry"] = shapely.Polygon()
    return f


def outside_china(f):
    f["buildings"].loc[f["buildings"]["id"] == "b2", "geometry"] = shapely.box(2.35, 48.85, 2.351, 48.851)
    return f


def swapped(f):
    lon, lat = scenes.lonlat(120, 20)
    f["buildings"].loc[f["buildings"]["id"] == "b2", "geometry"] = shapely.box(lat, lon, lat + 0.0002, lon + 0.0002)
    return f


def no_crs(f):
    f["buildings"] = gpd.GeoDataFrame(
        pd.DataFrame(f["buildings"].drop(columns="geometry")),
        geometry=f["buildings"].geometry.values.to_numpy(),
        crs=None,
    )
    return f


def duplicate_code(f):
    _set(f, "grids", C1 + "002", "code", C1 + "001", key="code")
    return f


def duplicate_id(f):
    _set(f, "buildings", "b2", "id", "b1")
    return f


def code_not_prefixed(f):
    _set(f, "grids", C1 + "002", "code", "329901001002009", key="code")
    return f


def code_not_digits(f):
    _set(f, "grids", C1 + "002", "code", "32990100100A002", key="code")
    return f


def unknown_scope_target(f):
    _set(f, "party_org_scope", "grp1", "target_id", "b99", key="party_org_id")
    return f


def unknown_assignment_staff(f):
    _set(f, "assignments", "s2", "staff_id", "s99", key="staff_id")
    return f


def unknown_assignment_target(f):
    _set(f, "assignments", "s1", "target_id", "329901001001099", key="staff_id")
    return f


def unknown_building(f):
    _set(f, "organizations", "o1", "building_id", "b99")
    return f


def bad_choice(f):
    _set(f, "grids", C1 + "003", "layer", "partyy", key="code")
    return f


def wrong_geometry_type(f):
    f["grids"].loc[f["grids"]["code"] == C1 + "002", "geometry"] = scenes.point(150, 50)
    return f


def _registrations(f, organization, community):
    f["unit_registrations"] = pd.DataFrame(
        {"organization_id": [organization], "community_code": [community], "registered_on": ["2025-03-01"]}
    )
    return f


def unknown_registered_unit(f):
    return _registrations(f, "o99", C1)


def unknown_registration_community(f):
    return _registrations(f, "o1", "329901001099")


def more_registered_than_in_service(f):
    f["buildings"]["in_service_members"] = pd.array([2] + [None] * (len(f["buildings"]) - 1), dtype="Int64")
    f["buildings"]["in_service_registered"] = pd.array([3] + [None] * (len(f["buildings"]) - 1), dtype="Int64")
    return f


def _agreement(f, organization, area, valid_from, valid_to):
    f["cobuilding_agreements"] = pd.DataFrame(
        {
            "id": ["a1"],
            "area_code": [area],
            "organization_id": [organization],
            "valid_from": [valid_from],
            "valid_to": [valid_to],
        }
    )
    return f


def agreement_ends_before_it_starts(f):
    return _agreement(f, "o1", C1, "2026-01-01", "2025-12-31")


def agreement_with_unknown_unit(f):
    return _agreement(f, "o99", C1[:9], "2026-01-01", None)


def item_of_an_unknown_list(f):
    f["cobuilding_items"] = pd.DataFrame(
        {"id": ["n1"], "area_code": [C1], "list": ["wish"], "description": ["送餐"], "status": ["open"]}
    )
    return f


def item_at_an_unknown_building(f):
    f["cobuilding_items"] = pd.DataFrame(
        {
            "id": ["n1"],
            "area_code": [C1],
            "list": ["need"],
            "description": ["送餐"],
            "status": ["open"],
            "building_id": ["b99"],
        }
    )
    return f


def seat_in_an_unknown_community(f):
    f["unit_seats"] = pd.DataFrame({"community_code": ["329901001099"], "organization_id": ["o1"]})
    return f


CASES = [
    (missing_layer, ["layer 'grids'", "329901001009001", "column 'community_code'", "unknown community 329901001009"]),
    (missing_column, ["layer 'buildings'", "column 'use'", "required column is missing"]),
    (wrong_type, ["layer 'buildings'", "(id=b2)", "column 'floors'", "'six' is not a whole number"]),
    (
        invalid_geometry,
        ["layer 'grids'", f"(code={C1}002)", "column 'geometry'", "invalid geometry", "Self-intersection"],
    ),
    (empty_geometry, ["layer 'buildings'", "(id=b2)", "column 'geometry'", "geometry is empty"]),
    (outside_china, ["layer 'buildings'", "(id=b2)", "lie outside China"]),
    (swapped, ["layer 'buildings'", "(id=b2)", "lat/lon swapped"]),
    (no_crs, ["layer 'buildings'", "no CRS declared", "--datum"]),
    (duplicate_code, ["layer 'grids'", "column 'code'", f"duplicate code '{C1}001'"]),
    (duplicate_id, ["layer 'buildings'", "column 'id'", "duplicate id 'b1'"]),
    (
        code_not_prefixed,
        ["layer 'grids'", "(code=329901001002009)", "column 'code'", f"does not start with its community code {C1}"],
    ),
    (code_not_digits, ["layer 'grids'", "column 'code'", "is not a valid code (15 digits)"]),
    (
        unknown_scope_target,
        ["layer 'party_org_scope'", "(party_org_id=grp1)", "column 'target_id'", "unknown building 'b99'"],
    ),
    (unknown_assignment_staff, ["layer 'assignments'", "column 'staff_id'", "unknown staff 's99'"]),
    (
        unknown_assignment_target,
        ["layer 'assignments'", "(staff_id=s1)", "column 'target_id'", "unknown grid '329901001001099'"],
    ),
    (unknown_building, ["layer 'organizations'", "(id=o1)", "column 'building_id'", "unknown building 'b99'"]),
    (bad_choice, ["layer 'grids'", "column 'layer'", "'partyy' is not one of party, governance, unified"]),
    (wrong_geometry_type, ["layer 'grids'", "column 'geometry'", "Point where Polygon or MultiPolygon is expected"]),
    (unknown_registered_unit, ["layer 'unit_registrations'", "column 'organization_id'", "unknown organization 'o99'"]),
    (
        unknown_registration_community,
        ["layer 'unit_registrations'", "column 'community_code'", "unknown community '329901001099'"],
    ),
    (
        more_registered_than_in_service,
        ["layer 'buildings'", "(id=b1)", "column 'in_service_registered'", "3 registered, but only 2"],
    ),
    (
        agreement_ends_before_it_starts,
        [
            "layer 'cobuilding_agreements'",
            "(id=a1)",
            "column 'valid_to'",
            "ends 2025-12-31 before it starts 2026-01-01",
        ],
    ),
    (
        agreement_with_unknown_unit,
        ["layer 'cobuilding_agreements'", "column 'organization_id'", "unknown organization 'o99'"],
    ),
    (
        item_of_an_unknown_list,
        ["layer 'cobuilding_items'", "(id=n1)", "column 'list'", "'wish' is not one of need, resource, project"],
    ),
    (item_at_an_unknown_building, ["layer 'cobuilding_items'", "column 'building_id'", "unknown building 'b99'"]),
    (
        seat_in_an_unknown_community,
        ["layer 'unit_seats'", "column 'community_code'", "unknown community '329901001099'"],
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_input_is_named_and_changes_nothing(loaded, tmp_path, mutate, expected):
    engine, before = loaded
    frames = scenes.layers()
    # every row changed a little, so a partial write could not hide behind identical data
    frames["buildings"]["residents"] = frames["buildings"]["residents"] + 1
    path = scenes.write(tmp_path / "bad.gpkg", mutate(frames))
    with pytest.raises(ImportRejected) as info:
        imports.import_file(engine, path)
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"
    assert "nothing was changed" in message
    assert fingerprint(engine) == before


def test_all_problems_are_listed_at_once(loaded, tmp_path):
    engine, before = loaded
    frames = wrong_type(duplicate_id(scenes.layers()))
    with pytest.raises(ImportRejected) as info:
        imports.import_file(engine, scenes.write(tmp_path / "bad.gpkg", frames))
    assert len(info.value.problems) == 2
    assert fingerprint(engine) == before


def test_values_and_references_are_reported_in_one_pass(loaded, tmp_path):
    """Issue 14, item 9: a wrong value and an unknown reference in one file are both reported the
    first time (the references used to be checked only once the values were right)."""
    engine, before = loaded
    frames = unknown_building(wrong_type(scenes.layers()))
    with pytest.raises(ImportRejected) as info:
        imports.import_file(engine, scenes.write(tmp_path / "bad.gpkg", frames))
    assert {p.column for p in info.value.problems} == {"building_id", "floors"}, info.value
    assert fingerprint(engine) == before


def test_problems_csv_lists_every_problem_not_only_the_first_20(db, settings, tmp_path):
    import csv

    before = fingerprint(db)
    path, listed = tmp_path / "floors.geojson", tmp_path / "问题.csv"
    boxes = [shapely.box(118.78 + i * 1e-3, 32.04, 118.7802 + i * 1e-3, 32.0402) for i in range(25)]
    gpd.GeoDataFrame(
        {"id": [f"f{i}" for i in range(25)], "use": "residential", "floors": "six"}, geometry=boxes, crs=4326
    ).to_file(path)
    env = {"GRIDSVC_DATABASE_URL": settings.database_url}
    shown = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert shown.exit_code == 2 and "... and 5 more" in shown.output and "--problems" in shown.output
    result = CliRunner().invoke(main, ["import", str(path), "--problems", str(listed)], env=env)
    assert result.exit_code == 2 and "全部 25 个问题已写入" in result.output
    with listed.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["feature"], r["column"]) for r in rows] == [(f"#{i} (id=f{i})", "floors") for i in range(25)]
    assert "'six' is not a whole number" in rows[0]["reason"]
    assert fingerprint(db) == before


def test_cli_reports_bad_input_without_traceback(loaded, settings, tmp_path):
    engine, before = loaded
    path = scenes.write(tmp_path / "bad.gpkg", wrong_type(scenes.layers()))
    result = CliRunner().invoke(main, ["import", str(path)], env={"GRIDSVC_DATABASE_URL": settings.database_url})
    assert result.exit_code == 2
    assert "column 'floors'" in result.output and "Traceback" not in result.output
    assert fingerprint(engine) == before


def test_unknown_file_kind_is_refused(db, tmp_path):
    path = tmp_path / "ledger.txt"
    path.write_text("not a map")
    with pytest.raises(Exception, match="无法识别的文件类型"):
        imports.import_file(db, path)


def test_cli_import_logs_the_file_hash(db, settings, tmp_path):
    import hashlib

    from sqlalchemy import text

    path = scenes.write(tmp_path / "small.gpkg")
    result = CliRunner().invoke(main, ["import", str(path)], env={"GRIDSVC_DATABASE_URL": settings.database_url})
    assert result.exit_code == 0, result.output
    with db.connect() as conn:
        logged = conn.scalar(text("SELECT sha256 FROM imports"))
    assert logged == hashlib.sha256(path.read_bytes()).hexdigest()
