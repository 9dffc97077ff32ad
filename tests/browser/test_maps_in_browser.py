"""Each map in real headless Chromium (Debian's), served by the API, with the outside network cut off:
Leaflet loads, the expected buildings and grids are drawn, and no request leaves the machine.
Screenshots go to maps/screenshots/ for a person to look at."""

from __future__ import annotations

from gridsvc.services import coverage as coverage_service
from tests.browser.serving import COUNT_LAYERS, open_map


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
        assert page.locator(".leaflet-control-layers-toggle").get_attribute("title") == "图层"
        # the credit line stays on the screen and clear of the scale (it wrapped past both on a phone)
        scale, credit = (
            page.locator(s).bounding_box() for s in (".leaflet-control-scale", ".leaflet-control-attribution")
        )
        assert credit["x"] >= scale["x"] + scale["width"] and credit["x"] + credit["width"] <= viewport[0]
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
    # Leaflet's own controls are titled in Chinese too (shown on hover, read out by screen readers)
    said = page.evaluate("""() => [".leaflet-control-zoom-in", ".leaflet-control-zoom-out",
        ".leaflet-control-layers-toggle"].map(s => [document.querySelector(s).title,
        document.querySelector(s).getAttribute("aria-label")])""")
    assert said == [["放大", "放大"], ["缩小", "缩小"], ["图层", "图层"]]
    scale = page.locator(".leaflet-control-scale-line")
    assert [scale.nth(i).is_visible() for i in range(scale.count())] == [True, False]  # metres, no feet
    assert scale.first.inner_text().endswith(("m", "km"))
    assert page.locator(".leaflet-control-attribution a[href='https://leafletjs.com']").get_attribute("title") == (
        "Leaflet：开源的交互地图 JavaScript 库"
    )
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


def test_plan_map_in_browser(server, browser):
    """Issue 17, item 1: a plan over today's grids, its moving buildings, problems, scores and swipe."""
    from gridsvc.analysis.scene import Thresholds
    from gridsvc.services import plans

    base, demo, engine = server
    community = demo.district_code + "002001"
    plan_id = plans.adopt_governance(engine, [community], name="<b>方案</b>\"'")
    checked = plans.validate(engine, plan_id, Thresholds())
    live = coverage_service.coverage(engine, community).scene.grids
    for name, viewport in (("plan-map.png", (1280, 800)), ("plan-map-phone.png", (390, 844))):
        page, outside, errors, _ = open_map(browser, f"{base}/maps/plans/{plan_id}", base, name, viewport)
        counts = page.evaluate(COUNT_LAYERS)
        assert outside == [] and errors == []
        assert counts["plan_grid"] == (live["layer"] == "governance").sum()  # adopting the governance grids
        assert counts["live_grid"] == (live["community_code"] == community).sum()
        assert counts.get("move", 0) == len(checked.diff()["buildings"]) > 0
        if viewport[0] < 600:  # on a phone the scores start folded, so the map stays in view
            assert not page.locator(".gs-scores").first.evaluate("d => d.open")
            page.locator(".gs-scores summary").first.click()
        summary = page.locator(".gs-summary").inner_text()
        assert "<b>方案</b>\"'" in summary  # the stored name as text, not markup
        assert "现状、方案与最好可能" in summary and "两网融合率（按户）" in summary
        errors = sum(p["severity"] == "error" for p in checked.problems)
        warnings = len(checked.problems) - errors  # a split Party group has no place, and counts too
        assert f"错误 {errors} 个、提醒 {warnings} 个" in summary
        before = page.evaluate("() => document.querySelector('.leaflet-gs_plan-pane').style.clip")
        page.locator("#gs-swipe").fill("20")
        after = page.evaluate("() => document.querySelector('.leaflet-gs_plan-pane').style.clip")
        assert before and after and before != after  # the swipe moves the line between plan and today
        page.close()
