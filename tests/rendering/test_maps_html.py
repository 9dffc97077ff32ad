"""The maps as HTML: every layer, legend, summary and notice there, and nothing loaded from the network."""

from __future__ import annotations

import json
import re

import pytest

from gridsvc.errors import InvalidInput
from gridsvc.rendering.common import Basemap
from gridsvc.services import access, imports, maps
from gridsvc.services import coverage as coverage_service
from gridsvc.settings import Settings

EXTERNAL = re.compile(r'<(?:script[^>]+src|link[^>]+href)="(?:https?:)?//', re.IGNORECASE)
PHONE = re.compile(r"(?<![\d.])1[3-9]\d{9}(?![\d.])")  # a whole mobile number, not digits inside a coordinate


def shows(page: str, text: str) -> bool:
    """In the page as HTML, or as folium writes layer names into JavaScript (\\u escapes)."""
    return text in page or json.dumps(text)[1:-1] in page


@pytest.fixture(scope="module")
def demo_db(engine):
    from sqlalchemy import text

    from tests.conftest import TABLES

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    _, demo = imports.build_demo(engine, 20240501)
    return engine, demo


def _worst_grid(engine, district: str) -> str:
    gaps = coverage_service.coverage(engine, district).gap_list(district)
    return gaps[gaps["object_type"] == "building"].dropna(subset=["grid"]).groupby("grid").size().idxmax()


def test_grid_map_has_everything_a_grid_leader_needs(demo_db):
    engine, demo = demo_db
    code = _worst_grid(engine, demo.district_code)
    page = maps.grid_map_html(engine, code, Basemap())
    cov = coverage_service.coverage(engine, code)
    assert not EXTERNAL.search(page)
    assert "<script>" in page and "L.map(" in page  # Leaflet inlined
    for text in (
        "楼栋状态",
        "应建未建楼栋党小组",
        "已建楼栋党小组",
        "无在岗楼栋长",
        "工作人员",
        "覆盖指标",
        "本图数据为生成数据，仅供演示",
        code,
    ):
        assert shows(page, text), text
    assert page.count('"gs_kind": "building"') == len(cov.grid_buildings(code))
    assert "****" not in page and PHONE.search(page)  # the local admin sees phone numbers whole
    anonymous = maps.grid_map_html(access.scoped(engine, access.ANONYMOUS), code, Basemap())
    assert "****" in anonymous and not PHONE.search(anonymous)  # anyone else: masked
    assert len(page.encode()) < 300_000


def test_coverage_map_layers(demo_db):
    engine, demo = demo_db
    page = maps.coverage_map_html(engine, demo.district_code, Basemap(), "grid_leader_coverage")
    assert not EXTERNAL.search(page)
    for text in (
        "网格长配备率",
        "社区边界",
        "空白、重叠与越界区域",
        "网格无网格长",
        "网格有多名网格长",
        "本图数据为生成数据，仅供演示",
        "L.control.layers",
    ):
        assert shows(page, text), text
    cov = coverage_service.coverage(engine, demo.district_code)
    staff_side = cov.scene.grids["layer"].isin(["governance", "unified"]).sum()
    assert page.count('"gs_kind": "grid"') == staff_side


def test_coverage_map_aggregates_large_kinds(demo_db, monkeypatch):
    from gridsvc.rendering import coverage_map

    engine, demo = demo_db
    monkeypatch.setattr(coverage_map, "MAX_POINTS", 10)
    page = maps.coverage_map_html(engine, demo.district_code, Basemap())
    assert '"gs_kind": "gap_group"' in page


def test_served_maps_load_assets_from_this_server(demo_db):
    engine, demo = demo_db
    page = maps.coverage_map_html(
        engine, demo.district_code + "001", Basemap(), inline=False, tiles_url="/tiles/buildings/{z}/{x}/{y}.pbf"
    )
    assert '<script src="/static/vendor/leaflet/dist/leaflet.js">' in page
    assert "/static/vendor/leaflet.vectorgrid/" in page and "L.vectorGrid.protobuf" in page


def test_amap_basemap_shifts_the_overlay_to_gcj02(demo_db):
    engine, demo = demo_db
    code = _worst_grid(engine, demo.district_code)
    plain = maps.grid_map_html(engine, code, Basemap())
    amap = maps.grid_map_html(engine, code, Basemap("amap"))
    first = re.compile(r'"coordinates": \[\[\[\[?([\d.]+), ([\d.]+)')
    (lon0, lat0), (lon1, lat1) = (tuple(map(float, first.search(p).groups())) for p in (plain, amap))
    assert 0.002 < abs(lon1 - lon0) + abs(lat1 - lat0) < 0.01  # a few hundred metres
    assert "autonavi.com" in amap  # the tiles are the user's choice; scripts still are local
    assert not EXTERNAL.search(amap)


def test_basemap_and_metric_errors(demo_db):
    engine, demo = demo_db
    with pytest.raises(InvalidInput, match="GRIDSVC_TIANDITU_KEY"):
        maps.basemap_from(Settings(), "tianditu")
    with pytest.raises(InvalidInput, match="网格只能按"):
        maps.coverage_map_html(engine, demo.district_code, Basemap(), "gap_area_m2.party")
    with pytest.raises(InvalidInput, match="是网格编码"):
        maps.coverage_map_html(engine, demo.district_code + "001001001", Basemap())


def test_alignment_map(demo_db):
    engine, demo = demo_db
    community = demo.district_code + "002001"
    page = maps.alignment_map_html(engine, community, Basemap())
    result = coverage_service.alignment(engine, community)
    assert not EXTERNAL.search(page)
    for text in (
        "两网对照",
        "党建网格（滑块左侧）",
        "治理网格（滑块右侧）",
        "需调整的楼栋",
        "gs-swipe",
        "配对与重合度",
        "本图数据为生成数据，仅供演示",
    ):
        assert shows(page, text), text
    assert page.count('"gs_kind": "move"') == len(result.moves)
    labels = page.count("重合度 ") + page.count(json.dumps("重合度 ")[1:-1])
    assert labels >= len(result.pairs) and "IoU" not in page  # planners read 重合度
    with pytest.raises(InvalidInput, match="不是社区编码"):
        maps.alignment_map_html(engine, demo.district_code, Basemap())


def test_alignment_map_names_grids(demo_db):
    """Issue 16, item 3: the summary names the unmatched grids and a popup its paired grid."""
    engine, demo = demo_db
    community = demo.district_code + "002001"
    page = maps.alignment_map_html(engine, community, Basemap())
    result = coverage_service.alignment(engine, community)
    assert result.unmatched
    unmatched = "、".join(u["name"] for u in result.unmatched)
    assert shows(page, f"未配对：{unmatched}")
    assert shows(page, f"配对{result.pairs[0]['governance_name']}")
