"""Each map in real headless Chromium (Debian's), served by the API, with the outside network cut off:
Leaflet loads, the expected buildings and grids are drawn, and no request leaves the machine.
Screenshots go to maps/screenshots/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gridsvc.api import create_app
from gridsvc.services import coverage as coverage_service
from gridsvc.services import imports
from tests.browser.serving import serve, wait_for_map

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "maps" / "screenshots"
COUNT_LAYERS = """() => {
    let map = null;
    for (const key of Object.keys(window)) { if (key.startsWith("map_") && window[key] instanceof L.Map) map = window[key]; }
    const counts = {};
    map.eachLayer(layer => {
        const kind = layer.feature && layer.feature.properties && layer.feature.properties.gs_kind;
        if (kind) counts[kind] = (counts[kind] || 0) + 1;
    });
    return counts;
}"""


@pytest.fixture(scope="module")
def server(engine, settings):
    from sqlalchemy import text

    from tests.conftest import TABLES

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    _, demo = imports.build_demo(engine, 20240501)
    with serve(create_app(settings)) as base:
        yield base, demo, engine


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: ./dev setup installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def open_map(browser, url: str, base: str, shot: str, viewport=(1280, 800)):
    """Load ``url`` with every request off this server refused; return the page, its outside
    requests, its errors and its tile responses."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    outside, errors, tiles = [], [], []

    def route(r):
        if r.request.url.startswith((base, "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda resp: tiles.append((resp.status, resp.url)) if "/tiles/" in resp.url else None)
    page.goto(url)
    wait_for_map(page)
    page.wait_for_load_state("networkidle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / shot))
    return page, outside, errors, tiles


def test_grid_map_in_browser(server, browser):
    base, demo, engine = server
    cov = coverage_service.coverage(engine, demo.district_code)
    gaps = cov.gap_list(demo.district_code)
    code = gaps[gaps["object_type"] == "building"].dropna(subset=["grid"]).groupby("grid").size().idxmax()
    for name, viewport in (("grid-map.png", (1280, 800)), ("grid-map-phone.png", (390, 844))):
        page, outside, errors, _ = open_map(browser, f"{base}/maps/grids/{code}", base, name, viewport)
        counts = page.evaluate(COUNT_LAYERS)
        assert outside == [] and errors == []
        assert counts["building"] == len(cov.grid_buildings(code))
        assert counts["grid"] == 1
        assert page.locator(".gs-notice").inner_text() == "本图数据为生成数据，仅供演示"
        page.close()


def test_coverage_map_in_browser(server, browser):
    base, demo, engine = server
    cov = coverage_service.coverage(engine, demo.district_code)
    page, outside, errors, _ = open_map(browser, f"{base}/maps/coverage/{demo.district_code}", base, "coverage-map.png")
    counts = page.evaluate(COUNT_LAYERS)
    assert outside == [] and errors == []
    assert counts["grid"] == cov.scene.grids["layer"].isin(["party", "unified"]).sum()
    assert (
        counts["gap_area"]
        == cov.gap_list(kind="grid_gap_area").shape[0]
        + cov.gap_list(kind="grid_overlap").shape[0]
        + cov.gap_list(kind="grid_outside_community").shape[0]
    )
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 10  # a switch per gap kind
    page.close()


def test_community_map_draws_buildings_from_vector_tiles(server, browser):
    base, demo, _ = server
    community = demo.district_code + "001001"
    page, outside, errors, tiles = open_map(browser, f"{base}/maps/coverage/{community}", base, "community-map.png")
    assert outside == [] and errors == []
    loaded = [url for status, url in tiles if status == 200 and "/tiles/buildings/" in url]
    assert loaded, "no building tiles were requested"
    drawn = page.evaluate(
        "() => document.querySelectorAll('.leaflet-tile-container canvas, canvas.leaflet-tile').length"
    )
    assert drawn > 0
    page.close()


def test_alignment_map_in_browser(server, browser):
    base, demo, engine = server
    community = demo.district_code + "002001"
    result = coverage_service.alignment(engine, community)
    page, outside, errors, _ = open_map(browser, f"{base}/maps/alignment/{community}", base, "alignment-map.png")
    counts = page.evaluate(COUNT_LAYERS)
    assert outside == [] and errors == []
    assert counts["move"] == len(result.moves)
    grids = coverage_service.coverage(engine, community).scene.grids
    assert counts["party_grid"] == grids["layer"].isin(["party", "unified"]).sum()
    assert counts["governance_grid"] == grids["layer"].isin(["governance", "unified"]).sum()
    before = page.evaluate("() => document.querySelector('.leaflet-gs_party-pane').style.clip")
    page.locator("#gs-swipe").fill("20")
    after = page.evaluate("() => document.querySelector('.leaflet-gs_party-pane').style.clip")
    assert before and after and before != after  # the swipe moves the boundary between the layers
    page.close()


def test_grid_map_labels_every_building_with_members(server, browser):
    base, demo, engine = server
    code = demo.district_code + "002002002"
    cov = coverage_service.coverage(engine, code)
    buildings = cov.grid_buildings(code)
    page, outside, errors, _ = open_map(browser, f"{base}/maps/grids/{code}", base, "grid-map-labels.png")
    shown = page.locator(".leaflet-tooltip.gs-label").count()
    assert shown == int((buildings["full_members"] > 0).sum()) > 1
    page.close()
