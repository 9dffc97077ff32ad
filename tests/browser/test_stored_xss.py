"""Stored script in names (issue 13): a building name a leader can edit and a grid name a plan can
bring, each a script payload, on every map page in real Chromium with every tooltip and popup
opened. No payload runs, each is shown as the text it is, and the page's Content-Security-Policy
is never violated by the page itself."""

from __future__ import annotations

import geopandas as gpd
import pytest
from sqlalchemy import text

from gridsvc.api import create_app
from gridsvc.services import imports
from tests import coverage_scene as s
from tests import scenes
from tests.browser.serving import SHOTS, refuse_outside, serve, wait_for_map
from tests.conftest import TABLES

BUILDING_PAYLOAD = '"><img src=x onerror="window.__xss=(window.__xss||0)+1">'
GRID_PAYLOAD = "</script><script>window.__xss=(window.__xss||0)+10</script><b onmouseover=alert(1)>"
FACILITY_PAYLOAD = '<img src=x onerror="window.__xss=(window.__xss||0)+100">中心'
# a branch still scoped to a grid that was closed (a plan left it undecided): its gap names both
BRANCH_PAYLOAD = '<img src=x onerror="window.__xss=(window.__xss||0)+1000">支部'
OPEN_EVERYTHING = """() => {
    let map = null;
    for (const key of Object.keys(window)) { if (key.startsWith("map_") && window[key] instanceof L.Map) map = window[key]; }
    let opened = 0;
    const shown = [];
    const features = [];
    map.eachLayer(layer => { if (layer.feature) features.push(layer); });
    for (const feature of features) {
        // folium binds tooltips and popups on the GeoJSON group: hover and click each feature as a person would
        const latlng = feature.getBounds ? feature.getBounds().getCenter() : feature.getLatLng();
        for (const kind of ["mouseover", "click"]) {
            feature.fire(kind, {latlng, layer: feature, originalEvent: {}}, true);
            for (const el of document.querySelectorAll(".leaflet-tooltip, .leaflet-popup-content")) {
                opened += 1;
                shown.push(el.textContent);
            }
            map.closePopup();
            feature.fire("mouseout", {latlng, layer: feature, originalEvent: {}}, true);
        }
    }
    return {opened, shown};
}"""


@pytest.fixture(scope="module")
def server(engine, settings, tmp_path_factory):
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    layers = s.frames()
    # one community centre in C1, no grid station: every C1 household is beyond a station's reach
    layers["facilities"] = gpd.GeoDataFrame(
        {"id": ["f1"], "name": [FACILITY_PAYLOAD], "level": ["community_centre"], "floor_area": [500]},
        geometry=s.lonlat([s.pt(100, 50)]),
    )
    imports.import_file(engine, scenes.write(tmp_path_factory.mktemp("xss") / "scene.gpkg", layers))
    with engine.begin() as conn:
        conn.execute(text("UPDATE buildings SET name = :n WHERE id IN ('b1', 'b2')"), {"n": BUILDING_PAYLOAD})
        conn.execute(text("UPDATE grids SET name = :n WHERE code = :c"), {"n": GRID_PAYLOAD, "c": s.G1})
        conn.execute(
            text("""INSERT INTO grids (code, layer, community_code, name, urban, source, valid_from, valid_to, geom)
                    SELECT :c, layer, community_code, :n, urban, source, '2020-01-01', '2024-01-01', geom
                    FROM grids WHERE code = :p"""),
            {"c": s.C1 + "099", "n": GRID_PAYLOAD, "p": s.P2},
        )
        conn.execute(
            text("INSERT INTO party_orgs (id, name, kind) VALUES ('brX', :n, 'branch')"), {"n": BRANCH_PAYLOAD}
        )
        conn.execute(
            text("INSERT INTO party_org_scopes (party_org_id, target_type, target_id) VALUES ('brX', 'grid', :c)"),
            {"c": s.C1 + "099"},
        )
    with serve(create_app(settings)) as base:
        yield base


@pytest.mark.parametrize(
    "path", [f"/maps/coverage/{s.DISTRICT}", f"/maps/coverage/{s.C1}", f"/maps/grids/{s.G1}", f"/maps/alignment/{s.C1}"]
)
def test_stored_payloads_do_not_run_on_any_map(server, browser, path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', "
        "e => (window.__violations = window.__violations || []).push(e.violatedDirective + ' ' + e.blockedURI))"
    )
    page.goto(server + path)
    wait_for_map(page)
    page.wait_for_load_state("networkidle")
    result = page.evaluate(OPEN_EVERYTHING)
    page.mouse.move(300, 300)
    page.wait_for_timeout(200)
    assert result["opened"] > 0
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert page.locator("img[src='x']").count() == 0 and page.locator("b[onmouseover]").count() == 0
    shown = " ".join(result["shown"]) + page.evaluate("document.body.innerText")
    expected = {BUILDING_PAYLOAD, GRID_PAYLOAD} if path.startswith("/maps/grids") else {BUILDING_PAYLOAD}
    if path.startswith("/maps/coverage"):
        expected |= {FACILITY_PAYLOAD, BRANCH_PAYLOAD}
    if "alignment" in path:
        expected = {GRID_PAYLOAD}
    payloads = (BUILDING_PAYLOAD, GRID_PAYLOAD, FACILITY_PAYLOAD, BRANCH_PAYLOAD)
    assert {p for p in payloads if p in shown} >= expected  # shown as the text it is
    assert page.evaluate("window.__violations || []") == []
    page.close()


@pytest.mark.parametrize(
    ("path", "payloads"),
    [
        ("/ogc/collections/buildings/items?limit=20", {BUILDING_PAYLOAD}),
        ("/ogc/collections/buildings/items/b1", {BUILDING_PAYLOAD}),
        ("/ogc/collections/grids/items?limit=20", {GRID_PAYLOAD}),
        ("/ogc/collections/gaps/items?limit=200", {BRANCH_PAYLOAD}),
        ("/ogc/collections", set()),
    ],
)
def test_the_ogc_html_pages_show_names_as_text(server, browser, path, payloads):
    """The OGC API's HTML encoding, opened as a browser opens it (Accept: text/html): a table a person
    reads, the stored payloads shown as the text they are, no script run, no outside request."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    outside = refuse_outside(page, server)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    answer = page.goto(server + path)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    assert page.locator("table tbody tr").count() > 0
    assert page.evaluate("window.__xss") is None and dialogs == [] and outside == []
    assert page.locator("img[src='x']").count() == 0 and page.locator("b[onmouseover]").count() == 0
    shown = page.evaluate("document.body.innerText")
    assert all(p in shown for p in payloads)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"ogc-{path.split('?')[0].strip('/').replace('/', '-')}.png", full_page=True)
    if path.endswith("items?limit=20"):  # each feature's id opens its own page, still as HTML
        page.locator("table tbody tr td a").first.click()
        page.wait_for_load_state()
        assert page.url.endswith("f=html") and page.locator("table tbody tr").count() > 0
    page.close()


def test_facilities_and_the_buildings_beyond_reach_are_on_the_coverage_map(server, browser):
    """C1 has a community centre and no grid station: its five residential buildings are drawn as
    beyond a station's reach (b1–b5), each saying so when hovered; the centre is a marker."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(server + f"/maps/coverage/{s.C1}")
    wait_for_map(page)
    layers = page.locator(".leaflet-control-layers-overlays").inner_text()
    assert "服务设施可达范围外的楼栋（5）" in layers and "党群服务中心/站（1）" in layers
    summary = page.locator(".gs-summary").inner_text()
    assert "党群服务中心覆盖率（按户）" in summary and "网格党群服务站覆盖率（按户）" in summary
    shown = " ".join(page.evaluate(OPEN_EVERYTHING)["shown"])
    assert "3号楼：20户；直线500米内没有网格党群服务站" in shown
    assert f"{FACILITY_PAYLOAD}（社区党群服务中心）" in shown
    page.close()
