"""Issue 17, item 2: the planner's workbench in Chromium (outside requests refused). On an adopted
plan a planner lassoes buildings of one grid next to another and moves them there, sees the
households and the alignment change in the panel, undoes it, redoes it, splits a grid along a drawn
line, merges two grids and saves; the saved version validates, the buildings that changed grid are
exactly those the edits moved, and the same edits sent through the API give the same plan."""

from __future__ import annotations

import time

import httpx
import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import text

from gridsvc.analysis.scene import Thresholds
from gridsvc.api.auth import COOKIE
from gridsvc.services import plans, users, workbench
from tests.browser.serving import SHOTS, refuse_outside, wait_for_map

XSS = '<b id="xss">楼</b><img src=x>'
MAP = """() => { for (const k of Object.keys(window)) if (k.startsWith("map_") && window[k] instanceof L.Map) return k; }"""


def _point(page, map_name: str, lon: float, lat: float) -> tuple[float, float]:
    """The page coordinates of a lon/lat on the map."""
    return tuple(
        page.evaluate(
            f"""([lon, lat]) => {{ const m = window[{map_name!r}], p = m.latLngToContainerPoint([lat, lon]);
                const r = m.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }}""",
            [lon, lat],
        )
    )


def _show(page, map_name: str, polygon) -> None:
    """Fit the map to ``polygon`` in the part of the screen the panels leave free."""
    x0, y0, x1, y1 = polygon.bounds
    page.evaluate(
        f"""(b) => {{ window[{map_name!r}].fitBounds([[b[1], b[0]], [b[3], b[2]]],
            {{paddingTopLeft: [360, 80], paddingBottomRight: [500, 80], animate: false}}); }}""",
        [x0, y0, x1, y1],
    )
    time.sleep(0.3)


def _wait(page, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not page.evaluate(what):
        status = page.evaluate("() => (document.querySelector('#gs-bench-status') || {}).textContent")
        assert time.monotonic() < deadline, f"timed out waiting for {what}; the page says {status!r}"
        time.sleep(0.05)


def _households(page) -> dict[str, int]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("#gs-bench-panel tr[data-grid]")]
               .map(tr => [tr.dataset.grid, Number(tr.querySelector(".gs-households").textContent)]))"""
    )


def _fact(page, label: str) -> str:
    return page.locator(f'#gs-bench-panel td[data-fact="{label}"]').inner_text()


def _centre(feature) -> tuple[float, float]:
    """A building's centre as the page takes it: the mean of its outline's points."""
    g = feature["geometry"]
    ring = g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]
    return tuple(np.mean(np.asarray(ring), axis=0))


def _after_edit(page, steps: int) -> None:
    _wait(page, f"() => document.querySelector('#gs-bench-status').textContent.startsWith('已编辑 {steps} 步')")


def test_a_planner_edits_a_plan_on_the_map_and_saves_a_version(server, browser):
    base, demo, engine = server
    limits = Thresholds()
    community = demo.district_code + "001002"
    plan_id = plans.adopt_governance(engine, [community], name="工作台<b>方案</b>")
    begun = workbench.start(engine, plan_id, limits)
    grids = {r.code: r.geometry for r in begun["grids"].itertuples()}
    b = begun["buildings"]
    # two neighbouring grids A and B, and A's buildings within 40 m of B: a block to lasso
    a, bb = next((x, y) for x in sorted(grids) for y in sorted(grids) if x < y and grids[x].touches(grids[y]))
    features = {f["id"]: f for f in _features(begun["buildings"])}
    near = [i for i, g in zip(b["id"], b["grid"], strict=True) if g == a and _near(features[i], grids[bb], 40)]
    assert near
    hull = shapely.MultiPoint([_centre(features[i]) for i in near]).convex_hull.buffer(0.00005)
    lassoed = {i for i, f in features.items() if hull.contains(shapely.Point(_centre(f)))}
    expected_moved = sum(int(h) for i, h in zip(b["id"], b["households"], strict=True) if i in lassoed)

    marked = sorted(lassoed)[0]
    with engine.begin() as conn:  # a stored name with markup reaches the tooltip as text
        conn.execute(text("UPDATE buildings SET name = :n WHERE id = :id"), {"n": XSS, "id": marked})
    page, outside, errors, token = _planner_page(browser, engine, base, demo.district_code)
    page.goto(f"{base}/maps/plans/{plan_id}")
    wait_for_map(page)
    map_name = page.evaluate(MAP)
    assert errors == []
    page.locator("#gs-bench-open").click()
    _wait(page, "() => window.gsBench && window.gsBench.ready")
    shown = page.evaluate(
        f"""(id) => {{ let out = null; window[{map_name!r}].eachLayer(l => {{
            if (l.feature && l.feature.id === id && l.getTooltip()) {{ l.openTooltip(); out = l.getTooltip().getElement().textContent; }}
        }}); return out; }}""",
        marked,
    )
    assert shown.startswith(XSS) and page.evaluate("() => document.getElementById('xss') === null")
    before = _households(page)
    alignment_before = _fact(page, "与治理网格一致率")

    # lasso: press, trace the hull, release
    page.locator('#gs-bench button[data-mode="lasso"]').click()
    _show(page, map_name, hull)
    ring = list(hull.exterior.coords)
    page.mouse.move(*_point(page, map_name, *ring[0]))
    page.mouse.down()
    for lon, lat in ring[1:]:
        page.mouse.move(*_point(page, map_name, lon, lat), steps=2)
    page.mouse.up()
    assert set(page.evaluate("() => window.gsBench.selected()")) == lassoed
    # a whole street block with one tap (the demo has roads), and the same tap takes it back
    page.locator('#gs-bench button[data-mode="block"]').click()
    one = next(i for i in sorted(lassoed) if b.loc[b["id"] == i, "block"].iloc[0] is not None)
    same_block = set(b.loc[b["block"] == b.loc[b["id"] == one, "block"].iloc[0], "id"])
    _tap_building(page, map_name, features[one])
    assert set(page.evaluate("() => window.gsBench.selected()")) == lassoed | same_block
    _tap_building(page, map_name, features[one])
    assert set(page.evaluate("() => window.gsBench.selected()")) == lassoed - same_block
    page.locator('#gs-bench button[data-mode="lasso"]').click()
    page.locator("#gs-bench-clear").click()
    page.mouse.move(*_point(page, map_name, *ring[0]))
    page.mouse.down()
    for lon, lat in ring[1:]:
        page.mouse.move(*_point(page, map_name, lon, lat), steps=2)
    page.mouse.up()
    page.locator("#gs-bench-target").select_option(bb)
    page.locator("#gs-bench-move").click()
    _after_edit(page, 1)
    moved = _households(page)
    assert moved[a] == before[a] - expected_moved and moved[bb] == before[bb] + expected_moved
    assert _fact(page, "与治理网格一致率") != alignment_before  # they left their governance grid
    page.screenshot(path=str(SHOTS / "workbench-moved.png"))

    page.locator("#gs-bench-undo").click()
    _wait(page, "() => window.gsBench.edits().length === 0")
    _wait(
        page,
        f"() => document.querySelector('#gs-bench-panel tr[data-grid=\"{a}\"] .gs-households').textContent == '{before[a]}'",
    )
    assert _households(page) == before and _fact(page, "与治理网格一致率") == alignment_before
    page.locator("#gs-bench-redo").click()
    _after_edit(page, 1)
    assert _households(page) == moved

    # split a third grid C along a line across its middle
    c = next(code for code in sorted(grids) if code not in (a, bb))
    across = _across(grids[c])
    page.locator('#gs-bench button[data-mode="split"]').click()
    _show(page, map_name, grids[c])
    for lon, lat in across:
        page.mouse.click(*_point(page, map_name, lon, lat))
    page.locator("#gs-bench-split").click()
    _after_edit(page, 2)
    split = _households(page)
    assert len(split) == len(moved) + 1 and sum(split.values()) == sum(moved.values())
    new_code = (set(split) - set(moved)).pop()
    assert split[c] + split[new_code] == moved[c]

    # merge the two halves back into C: click each on open ground
    page.locator('#gs-bench button[data-mode="merge"]').click()
    state = workbench.preview(engine, plan_id, page.evaluate("() => window.gsBench.edits()"), limits)
    shapes = dict(zip(state["grids"]["code"], state["grids"].geometry, strict=True))
    footprints = shapely.union_all([shape(f["geometry"]).buffer(0.00003) for f in features.values()])
    _show(page, map_name, shapes[c].union(shapes[new_code]))
    for code in (c, new_code):
        spot = shapes[code].buffer(-0.00005).difference(footprints).representative_point()
        page.mouse.click(*_point(page, map_name, spot.x, spot.y))
    assert sorted(page.evaluate("() => window.gsBench.merging()")) == sorted([c, new_code])
    page.locator("#gs-bench-merge").click()
    _after_edit(page, 3)
    assert _households(page) == moved
    page.screenshot(path=str(SHOTS / "workbench-merged.png"))

    page.locator("#gs-bench-save").click()
    _wait(page, "() => document.querySelector('#gs-bench-saved') !== null")
    edits = page.evaluate("() => window.gsBench.edits()")
    assert [e["op"] for e in edits] == ["move", "split", "merge"]
    assert outside == [] and errors == []
    page.context.close()

    versions = workbench.versions(engine, plan_id)
    saved = versions[-1]
    assert [v["id"] for v in versions] == [plan_id, saved["id"]] and saved["version"] == 2
    assert saved["origin"] == "workbench" and saved["name"] == "工作台<b>方案</b>（第2版）"
    review = plans.validate(engine, saved["id"], limits)
    assert review.errors == []
    # the buildings that change grid between the two versions are exactly the lassoed ones
    parent_review = plans.validate(engine, plan_id, limits)
    parent = parent_review.after.units.buildings.set_index("id")["party_grid"]
    child = review.after.units.buildings.set_index("id")["party_grid"]
    changed = set(child.index[child.reindex(parent.index).to_numpy() != parent.to_numpy()])
    assert changed == lassoed and set(child[list(lassoed)]) == {bb}
    # and the saved version's diff differs from its parent's in exactly those buildings
    listed = [{b["building_id"]: b for b in r.diff()["buildings"]} for r in (parent_review, review)]
    assert {i for i in set(listed[0]) | set(listed[1]) if listed[0].get(i) != listed[1].get(i)} == lassoed
    # the same edits sent to the API by a script give the same plan
    answer = httpx.post(
        f"{base}/api/plans/{plan_id}/versions", json={"edits": edits}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.text
    again = answer.json()["id"]
    _, first = plans.show_plan(engine, saved["id"])
    _, second = plans.show_plan(engine, again)
    assert list(first["code"]) == list(second["code"])
    for g1, g2 in zip(first.geometry, second.geometry, strict=True):
        assert shapely.equals_exact(g1, g2, 1e-9) or g1.symmetric_difference(g2).area < 1e-12


def _tap_building(page, map_name: str, feature) -> None:
    spot = shape(feature["geometry"]).representative_point()
    page.mouse.click(*_point(page, map_name, spot.x, spot.y))


PANELS = {
    "the workbench": "#gs-bench",
    "the plan's summary": ".gs-summary",
    "the legend": ".gs-legend",
    "the credit": ".leaflet-control-attribution",
    "the scale": ".leaflet-control-scale",
}
SHOWN = """(selector) => [...document.querySelectorAll(selector)].filter(e => e.offsetParent !== null)
    .map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""


def _covering(page) -> list[str]:
    """Pairs of the map's panels that cover each other, and panels running off the screen."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    boxes = {name: page.evaluate(SHOWN, selector) for name, selector in PANELS.items()}
    shown = [(name, b) for name, found in boxes.items() for b in found]
    found = [
        f"{a} covers {b}"
        for i, (a, box_a) in enumerate(shown)
        for b, box_b in shown[i + 1 :]
        if box_a[0] < box_b[2] and box_b[0] < box_a[2] and box_a[1] < box_b[3] and box_b[1] < box_a[3]
    ]
    return found + [
        f"{n} runs off the screen" for n, b in shown if b[0] < 0 or b[1] < 0 or b[2] > width or b[3] > height
    ]


def test_on_a_phone_the_workbench_covers_no_other_panel(server, browser):
    """A planner on a phone: the 编辑方案 button, and the workbench once open, leave the plan's summary,
    the legend, the credit and the scale readable (the open workbench carries the plan's figures, so the
    summary steps aside for it); closed again, the summary is back."""
    base, demo, engine = server
    plan_id = plans.adopt_governance(engine, [demo.district_code + "001003"], name="手机上的方案")
    page, outside, errors, _ = _planner_page(browser, engine, base, demo.district_code, viewport=(390, 844))
    page.goto(f"{base}/maps/plans/{plan_id}")
    wait_for_map(page)
    assert page.locator(".gs-summary").is_visible() and page.locator("#gs-bench-open").is_visible()
    assert _covering(page) == []
    page.locator("#gs-bench-open").click()
    _wait(page, "() => window.gsBench && window.gsBench.ready")
    page.screenshot(path=str(SHOTS / "workbench-phone.png"))
    assert page.locator("#gs-bench-panel").is_visible() and _covering(page) == []
    # the plan's grids moved into the screen above the panel, where the planner taps them
    grids = page.evaluate(
        f"""() => {{ const m = window[{page.evaluate(MAP)!r}]; let b = null;
            m.eachLayer(l => {{ if (l.options.pane === "gs_bench" && l.getBounds && !l.feature) b = l.getBounds(); }});
            const nw = m.latLngToContainerPoint(b.getNorthWest()), se = m.latLngToContainerPoint(b.getSouthEast());
            return [nw.x, nw.y, se.x, se.y]; }}"""
    )
    top = page.locator("#gs-bench").bounding_box()["y"]
    assert 0 <= grids[0] < grids[2] <= 390 and 0 <= grids[1] < grids[3] <= top
    # 框选 with a finger: a box dragged over the whole plan takes every building (a touch sends no mouse moves)
    page.locator('#gs-bench button[data-mode="box"]').click()
    _touch_drag(page, [(grids[0] - 3, grids[1] - 3), (grids[2] + 3, grids[3] + 3)])
    everyone = set(workbench.start(engine, plan_id, Thresholds())["buildings"]["id"])
    assert set(page.evaluate("() => window.gsBench.selected()")) == everyone
    # a credit of three lines (an OpenStreetMap one): the panels rise above it
    page.evaluate(
        f"""() => {{ window[{page.evaluate(MAP)!r}].attributionControl.addAttribution(
            "楼栋轮廓 © OpenStreetMap contributors，以及其他来源的说明文字，足够长，在手机上折成三行"); }}"""
    )
    time.sleep(0.3)
    assert page.locator(".leaflet-control-attribution").bounding_box()["height"] > 50 and _covering(page) == []
    page.locator("#gs-bench-open").click()
    assert page.locator(".gs-summary").is_visible() and _covering(page) == []
    assert outside == [] and errors == []
    page.close()


def _touch_drag(page, points: list[tuple[float, float]], steps: int = 8) -> None:
    """One finger pressed at the first point, moved through the others and lifted, as a phone's
    screen reports it (Chromium's touch input: pointer and touch events, no mouse moves)."""
    cdp = page.context.new_cdp_session(page)
    touch = lambda kind, x, y: cdp.send(  # noqa: E731
        "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}] if kind != "touchEnd" else []}
    )
    touch("touchStart", *points[0])
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        for k in range(1, steps + 1):
            touch("touchMove", x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps)
    touch("touchEnd", 0, 0)
    time.sleep(0.2)


def _planner_page(browser, engine, base: str, scope: str, viewport=(1280, 800)):
    """A page logged in (by cookie) as a planner of the district ``scope``, and the token."""
    import datetime as dt

    with engine.begin() as conn:
        if not any(u["name"] == "bench-planner" for u in users.list_users(conn)):
            users.add_user(conn, "bench-planner", "planner", scope, "planner-password-1")
        token, _ = users.issue_token(conn, "bench-planner", dt.timedelta(hours=1))
    phone = viewport[0] <= 600
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, has_touch=phone, is_mobile=phone
    )
    context.add_cookies([{"name": COOKIE, "value": token, "url": base}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, refuse_outside(page, base), errors, token


def _features(frame) -> list[dict]:
    from gridsvc.api.geojson import feature_collection

    return feature_collection(frame, "id")["features"]


def _near(feature, polygon, metres: float) -> bool:
    return shape(feature["geometry"]).distance(polygon) < metres / 111_000


def _across(polygon) -> list[tuple[float, float]]:
    """A west-east line through the middle of ``polygon``, from just outside it to just outside it."""
    x0, y0, x1, y1 = polygon.bounds
    y = polygon.representative_point().y
    inside = polygon.intersection(shapely.LineString([(x0 - 1, y), (x1 + 1, y)]))
    lx0, _, lx1, _ = inside.bounds
    return [(lx0 - 0.00002, y), ((lx0 + lx1) / 2, y), (lx1 + 0.00002, y)]
