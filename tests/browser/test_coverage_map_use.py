"""The coverage map used as a person uses it (issue 16, items 1 and 2), at desktop and phone sizes in
Chromium: a grid under the pointer shows its name and figure, a click opens its popup with a link
that opens the grid's own map; the metric selector recolours the map; households per full-time
worker is drawn in households (no "%"), grids over 500 in the over colour, grids without a
full-time worker in the gap colour."""

from __future__ import annotations

import pytest

from gridsvc.rendering.coverage_map import scale
from gridsvc.services import coverage as coverage_service
from tests.browser.serving import SHOTS, open_map, wait_for_map

# The screen point of each grid's centre (the map draws on a canvas: Leaflet hit-tests, not the DOM).
GRID_CENTRES = """() => {
    let map = null;
    for (const key of Object.keys(window)) { if (key.startsWith("map_") && window[key] instanceof L.Map) map = window[key]; }
    const box = map.getContainer().getBoundingClientRect(), out = [];
    map.eachLayer(l => {
        if (!(l.feature && l.feature.properties.gs_kind === "grid")) return;
        const p = map.latLngToContainerPoint(l.getCenter());
        const x = box.left + p.x, y = box.top + p.y;
        if (x > 0 && y > 0 && x < window.innerWidth && y < window.innerHeight) out.push({x, y, code: l.feature.properties.code});
    });
    return out;
}"""
FILLS = """() => {
    const fills = [];
    for (const key of Object.keys(window)) {
        if (key.startsWith("map_") && window[key] instanceof L.Map)
            window[key].eachLayer(l => { if (l.feature && l.feature.properties.gs_kind === "grid")
                fills.push([l.feature.properties.code, l.feature.properties.fill]); });
    }
    return fills;
}"""


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_a_grid_answers_hover_and_click_and_links_to_its_map(server, browser, size):
    base, demo, engine = server
    community = demo.district_code + "001001"
    shot = f"coverage-grid-popup-{size[0]}.png"
    page, outside, errors, _ = open_map(browser, f"{base}/maps/coverage/{community}", base, shot, size)
    grids = coverage_service.coverage(engine, community).scene.grids.set_index("code")
    target = None
    for centre in page.evaluate(GRID_CENTRES):  # the first grid not under a gap marker or area
        page.mouse.move(centre["x"], centre["y"])
        tips = page.locator(".leaflet-tooltip")
        if tips.count() and grids.loc[centre["code"], "name"] in tips.first.inner_text():
            target = centre
            break
    assert target, "no grid answers the pointer (the community boundaries used to catch it)"
    name = grids.loc[target["code"], "name"]
    assert "%" in page.locator(".leaflet-tooltip").first.inner_text()  # its figure
    page.mouse.click(target["x"], target["y"])
    popup = page.locator(".gs-grid-popup")
    assert name in popup.inner_text()
    page.screenshot(path=str(SHOTS / shot))  # with its popup open, to be looked at
    # the map pans the popup into view (and on a phone folds the panels): tap once that has settled
    page.wait_for_timeout(600)
    with page.expect_navigation(url=f"**/maps/grids/{target['code']}", timeout=60_000):
        popup.locator("a.gs-grid-link").click()
    wait_for_map(page)
    assert outside == [] and errors == []
    page.close()


def test_households_per_worker_is_drawn_in_households_against_the_limit(server, browser):
    base, demo, engine = server
    metric = "households_per_fulltime_worker"
    url = f"{base}/maps/coverage/{demo.district_code}?metric={metric}"
    page, outside, errors, _ = open_map(browser, url, base, "coverage-per-worker.png")
    assert outside == [] and errors == []
    legend = page.locator(".gs-legend").inner_text()
    assert "%" not in legend.split("问题")[0] and "超过500户（超标）" in legend and "无专职网格员" in legend
    figures = coverage_service.coverage(engine, demo.district_code).figures["grid"]
    ramp = scale(metric)
    over, none = ramp["colors"][-1], ramp["missing"]
    fills = dict(page.evaluate(FILLS))
    assert fills
    for code, fill in fills.items():
        value = figures[code][metric]["value"]
        if value is None:
            assert fill == none, code
        elif value > 500:
            assert fill == over, code
        else:
            assert fill != over and fill != none, code
    assert sum(f == over for f in fills.values()) >= 1 and sum(f == none for f in fills.values()) >= 1
    page.close()


def test_the_metric_selector_recolours_the_map(server, browser):
    base, demo, _ = server
    page, _, errors, _ = open_map(browser, f"{base}/maps/coverage/{demo.district_code}", base, "coverage-select.png")
    page.select_option("#gs-metric", "grid_leader_coverage")
    page.wait_for_url("**metric=grid_leader_coverage**")
    wait_for_map(page)
    assert page.locator("#gs-metric").input_value() == "grid_leader_coverage"
    assert "网格长" in page.locator(".gs-legend summary").inner_text()
    assert errors == []
    page.close()


@pytest.mark.parametrize(("size", "expanded"), [((1280, 800), True), ((390, 844), False)], ids=["desktop", "phone"])
def test_the_layer_list_is_open_on_a_wide_screen_and_folded_on_a_phone(server, browser, size, expanded):
    """A district's gap kinds make a long layer list: open on a phone it covered the grid popup's
    link (CI, stop 30); on a wide screen it stays open even after the pointer leaves it."""
    base, demo, _ = server
    page, _, errors, _ = open_map(
        browser, f"{base}/maps/coverage/{demo.district_code}001001", base, f"coverage-layers-{size[0]}.png", size
    )
    control = page.locator(".leaflet-control-layers")
    page.wait_for_timeout(100)
    if expanded:
        control.hover()
        page.mouse.move(size[0] // 2, size[1] // 2)
        page.mouse.click(size[0] // 2, size[1] // 2)
    assert ("leaflet-control-layers-expanded" in (control.get_attribute("class") or "")) is expanded
    if not expanded:
        control.hover()  # (a tap on a touch screen)
        assert "leaflet-control-layers-expanded" in control.get_attribute("class")
    assert errors == []
