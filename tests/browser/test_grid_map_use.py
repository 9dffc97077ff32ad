"""The grid leader's map on a phone and a desk (issue 16, item 4), in Chromium: the panel is a to-do
list naming each gap's building, a tap on a row flies the map to that building and opens its popup
(Party group, building leader, the grid's branch); "党员N" labels never cover a gap marker and show
only when zoomed in; on a phone the legend starts folded."""

from __future__ import annotations

import time

import pytest

from gridsvc.services import coverage as coverage_service
from tests.browser.serving import SHOTS, open_map

MAP = """() => { for (const key of Object.keys(window)) {
    if (key.startsWith("map_") && window[key] instanceof L.Map) return key; } }"""
# Screen boxes of the gap markers (radius 6) and of the labels showing, independently of the page's code.
BOXES = """(name) => {
    const map = window[name], box = map.getContainer().getBoundingClientRect(), gaps = [], labels = [];
    map.eachLayer(l => {
        const kind = l.feature && l.feature.properties.gs_kind;
        if (kind === "gap") { const p = map.latLngToContainerPoint(l.getLatLng());
            gaps.push([box.left + p.x - 6, box.top + p.y - 6, box.left + p.x + 6, box.top + p.y + 6]); }
        if (kind === "members") { const el = l.getTooltip() && l.getTooltip().getElement();
            if (el && getComputedStyle(el).visibility === "visible") { const r = el.getBoundingClientRect();
                labels.push([r.left, r.top, r.right, r.bottom]); } }
    });
    return {gaps, labels, zoom: map.getZoom()};
}"""


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def busiest(server):
    """The demo grid with the most building gaps, and its buildings."""
    _, demo, engine = server
    cov = coverage_service.coverage(engine, demo.district_code)
    gaps = cov.gap_list(demo.district_code)
    code = gaps[gaps["object_type"] == "building"].dropna(subset=["grid"]).groupby("grid").size().idxmax()
    return code, coverage_service.coverage(engine, code)


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_todo_list_names_each_building_and_flies_to_it(server, browser, busiest, size):
    base, _, _ = server
    code, cov = busiest
    page, outside, errors, _ = open_map(browser, f"{base}/maps/grids/{code}", base, f"grid-todo-{size[0]}.png", size)
    assert outside == [] and errors == []
    gaps = cov.gap_list(code)
    pointed = gaps[gaps["object_type"].isin(["building", "organization"])]
    rows = page.locator("a.gs-todo")
    assert rows.count() == len(pointed) > 0
    names = dict(zip(cov.scene.buildings["id"], cov.scene.buildings["name"], strict=True))
    texts = rows.all_inner_texts()
    assert all(not t.startswith("demo-") for t in texts)  # names, not ids
    first = rows.nth(0)
    building = first.get_attribute("data-id")
    assert texts[0] == names[building]
    name = page.evaluate(MAP)
    first.click()
    deadline = time.monotonic() + 10
    while page.locator(".gs-building-popup").count() == 0:
        assert time.monotonic() < deadline, "tapping the row opened no popup"
        time.sleep(0.1)
    popup = page.locator(".gs-building-popup").inner_text()
    assert names[building] in popup and "楼栋长" in popup and "网格党支部" in popup
    centre = page.evaluate(f"() => {{ const c = window['{name}'].getCenter(); return [c.lat, c.lng]; }}")
    lat, lng = float(first.get_attribute("data-lat")), float(first.get_attribute("data-lng"))
    assert abs(centre[0] - lat) < 0.002 and abs(centre[1] - lng) < 0.002
    assert page.evaluate(f"() => window['{name}'].getZoom()") >= 18
    page.screenshot(path=str(SHOTS / f"grid-todo-flown-{size[0]}.png"))
    page.close()


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_no_label_covers_a_gap_marker_and_labels_wait_for_zoom(server, browser, busiest, size):
    base, _, _ = server
    code, cov = busiest
    page, _, errors, _ = open_map(browser, f"{base}/maps/grids/{code}", base, f"grid-labels-{size[0]}.png", size)
    name = page.evaluate(MAP)
    shown = page.evaluate(BOXES, name)
    assert shown["gaps"], "the grid has gap markers to keep clear"
    assert not any(_overlaps(label, gap) for label in shown["labels"] for gap in shown["gaps"])
    members = cov.grid_buildings(code)
    with_members = members[members["full_members"] > 0]
    assert len(with_members) > 0
    page.evaluate(  # to a building with members, close up
        f"""() => {{ const map = window['{name}']; let at = null;
            map.eachLayer(l => {{ if (!at && l.feature && l.feature.properties.gs_kind === "members") at = l.getLatLng(); }});
            map.setView(at, 19, {{animate: false}}); }}"""
    )
    time.sleep(0.3)
    zoomed = page.evaluate(BOXES, name)
    assert zoomed["zoom"] == 19 and zoomed["labels"], "zoomed in, labels show"
    assert not any(_overlaps(label, gap) for label in zoomed["labels"] for gap in zoomed["gaps"])
    assert not any(_overlaps(a, b) for i, a in enumerate(zoomed["labels"]) for b in zoomed["labels"][i + 1 :]), (
        "labels never cover each other"
    )
    if size[0] < 600:
        assert page.locator(".gs-legend details").get_attribute("open") is None  # folded on a phone
    assert errors == []
    page.close()
