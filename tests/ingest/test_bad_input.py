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
    (missing_layer, ["图层 'grids'", "329901001009001", "字段 'community_code'", "未知社区 329901001009"]),
    (missing_column, ["图层 'buildings'", "字段 'use'", "缺少必填字段"]),
    (wrong_type, ["图层 'buildings'", "(id=b2)", "字段 'floors'", "'six' 不是整数"]),
    (
        invalid_geometry,
        ["图层 'grids'", f"(code={C1}002)", "字段 'geometry'", "几何无效：自相交（"],
    ),
    (empty_geometry, ["图层 'buildings'", "(id=b2)", "字段 'geometry'", "几何为空"]),
    (outside_china, ["图层 'buildings'", "(id=b2)", "在中国境外"]),
    (swapped, ["图层 'buildings'", "(id=b2)", "纬度和经度写反了"]),
    (no_crs, ["图层 'buildings'", "没有声明坐标系", "--datum"]),
    (duplicate_code, ["图层 'grids'", "字段 'code'", f"code '{C1}001' 重复"]),
    (duplicate_id, ["图层 'buildings'", "字段 'id'", "id 'b1' 重复"]),
    (
        code_not_prefixed,
        ["图层 'grids'", "(code=329901001002009)", "字段 'code'", f"不以所属社区编码 {C1} 开头"],
    ),
    (code_not_digits, ["图层 'grids'", "字段 'code'", "不符合格式（15 位数字）"]),
    (
        unknown_scope_target,
        ["图层 'party_org_scope'", "(party_org_id=grp1)", "字段 'target_id'", "未知楼栋 'b99'"],
    ),
    (unknown_assignment_staff, ["图层 'assignments'", "字段 'staff_id'", "未知工作人员 's99'"]),
    (
        unknown_assignment_target,
        ["图层 'assignments'", "(staff_id=s1)", "字段 'target_id'", "未知网格 '329901001001099'"],
    ),
    (unknown_building, ["图层 'organizations'", "(id=o1)", "字段 'building_id'", "未知楼栋 'b99'"]),
    (bad_choice, ["图层 'grids'", "字段 'layer'", "'partyy' 不是 party, governance, unified 之一"]),
    (wrong_geometry_type, ["图层 'grids'", "字段 'geometry'", "是 Point，应为 Polygon 或 MultiPolygon"]),
    (unknown_registered_unit, ["图层 'unit_registrations'", "字段 'organization_id'", "未知组织 'o99'"]),
    (
        unknown_registration_community,
        ["图层 'unit_registrations'", "字段 'community_code'", "未知社区 '329901001099'"],
    ),
    (
        more_registered_than_in_service,
        ["图层 'buildings'", "(id=b1)", "字段 'in_service_registered'", "报到 3 人，但这里只住着 2 名"],
    ),
    (
        agreement_ends_before_it_starts,
        [
            "图层 'cobuilding_agreements'",
            "(id=a1)",
            "字段 'valid_to'",
            "结束于 2025-12-31，早于开始日期 2026-01-01",
        ],
    ),
    (
        agreement_with_unknown_unit,
        ["图层 'cobuilding_agreements'", "字段 'organization_id'", "未知组织 'o99'"],
    ),
    (
        item_of_an_unknown_list,
        ["图层 'cobuilding_items'", "(id=n1)", "字段 'list'", "'wish' 不是 need, resource, project 之一"],
    ),
    (item_at_an_unknown_building, ["图层 'cobuilding_items'", "字段 'building_id'", "未知楼栋 'b99'"]),
    (
        seat_in_an_unknown_community,
        ["图层 'unit_seats'", "字段 'community_code'", "未知社区 '329901001099'"],
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
    assert "没有改动任何数据" in message
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
    assert shown.exit_code == 2 and "……另有 5 个问题" in shown.output and "--problems" in shown.output
    result = CliRunner().invoke(main, ["import", str(path), "--problems", str(listed)], env=env)
    assert result.exit_code == 2 and "全部 25 个问题已写入" in result.output
    with listed.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["图层或工作表", "要素或行", "字段", "原因"]  # a planner opens it in Excel
    assert [(r["要素或行"], r["字段"]) for r in rows] == [(f"#{i} (id=f{i})", "floors") for i in range(25)]
    assert "'six' 不是整数" in rows[0]["原因"]
    assert fingerprint(db) == before


def test_cli_reports_bad_input_without_traceback(loaded, settings, tmp_path):
    engine, before = loaded
    path = scenes.write(tmp_path / "bad.gpkg", wrong_type(scenes.layers()))
    result = CliRunner().invoke(main, ["import", str(path)], env={"GRIDSVC_DATABASE_URL": settings.database_url})
    assert result.exit_code == 2
    assert "字段 'floors'" in result.output and "Traceback" not in result.output
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
