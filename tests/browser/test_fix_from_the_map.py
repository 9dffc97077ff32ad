"""A grid leader records a fix where the gap is shown (issue 21), in Chromium at phone size, logged in
with the cookie, every outside request refused: the to-do row of a building without a leader opens
the bottom-sheet form, the new leader is saved, the page redraws without the gap and with the
building's new colour, and the audit log names the leader. A bad phone is refused with the field
named and nothing stored; a building outside the leader's grid is neither offered nor accepted."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import text

from gridsvc.api import create_app
from tests import coverage_scene as s
from tests.access import world
from tests.browser.serving import SHOTS, refuse_outside, serve, wait_for_map


@pytest.fixture(scope="module")
def secured(engine, settings, tmp_path_factory):
    world.build(engine, tmp_path_factory.mktemp("fix"))
    with engine.begin() as conn:  # b1 (its Party group set up) loses its leader: its one gap is that
        conn.execute(text("UPDATE assignments SET end_date = '2025-01-01' WHERE staff_id = 'BL1' AND target_id = 'b1'"))
    with serve(create_app(settings.model_copy(update={"auth_required": True}))) as base:
        yield base, engine


@pytest.fixture
def leader_page(secured, browser):
    base, engine = secured
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    outside = refuse_outside(page, base, ())
    page.goto(f"{base}/login?next=/maps/grids/{s.G1}")
    page.fill("#u", "leader")
    page.fill("#p", world.password("leader"))
    page.click("button[type=submit]")
    wait_for_map(page)
    yield page, base, engine, outside
    context.close()


STATUS = """(id) => { for (const key of Object.keys(window)) { if (key.startsWith("map_") && window[key] instanceof L.Map) {
    let found = null; window[key].eachLayer(l => { if (l.feature && l.feature.properties.gs_kind === "building"
        && l.feature.properties.id === id) found = [l.feature.properties.status, l.options.fillColor]; });
    return found; } } }"""


OPEN_BUILDING_POPUP = """(id) => { for (const key of Object.keys(window)) { if (key.startsWith("map_") && window[key] instanceof L.Map) {
    window[key].eachLayer(l => { if (l.feature && l.feature.properties.gs_kind === "building" && l.feature.properties.id === id)
        l.openPopup(); }); } } }"""


def _wait(predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_leader_is_appointed_from_the_todo_row(leader_page):
    page, base, engine, outside = leader_page
    row = page.locator('button[data-gs-action="leader"][data-id="b1"]')
    assert row.count() == 1, "b1 has no sitting leader: its to-do row offers the form"
    before = page.evaluate(STATUS, "b1")
    row.click()
    sheet = page.locator(".gs-sheet")
    assert sheet.is_visible() and "1号楼" in sheet.inner_text()
    assert page.locator("#gs-phone").get_attribute("inputmode") == "tel"
    page.fill("#gs-name", "钱多多")
    page.fill("#gs-phone", "不是号码")
    page.screenshot(path=str(SHOTS / "fix-form-390.png"))
    page.locator(".gs-sheet button[type=submit]").click()
    _wait(lambda: "手机：格式不对" in page.locator(".gs-error").inner_text(), "the bad phone is named, in Chinese")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM staff WHERE name = '钱多多'")) == 0
    page.fill("#gs-phone", "13900003333")
    with page.expect_navigation():
        page.locator(".gs-sheet button[type=submit]").click()
    wait_for_map(page)
    assert page.locator('button[data-gs-action="leader"][data-id="b1"]').count() == 0  # the gap is gone
    after = page.evaluate(STATUS, "b1")
    assert after[0] != before[0] and after[1] != before[1]  # and the building's colour changed
    page.screenshot(path=str(SHOTS / "fix-done-390.png"))
    with engine.connect() as conn:
        entry = conn.execute(
            text("SELECT actor, after->>'name' FROM audit_log WHERE action = 'staff.add' ORDER BY id DESC LIMIT 1")
        ).one()
    assert tuple(entry) == ("leader", "钱多多")
    assert outside == []


def test_a_building_outside_the_grid_is_neither_offered_nor_accepted(leader_page):
    page, base, _, _ = leader_page
    assert page.locator('[data-gs-action][data-id="b7"]').count() == 0
    refused = page.evaluate(
        """async () => { const r = await fetch("/api/buildings/b7/leader", {method: "POST", credentials: "same-origin",
             headers: {"Content-Type": "application/json"}, body: JSON.stringify({name: "外人"})}); return r.status; }"""
    )
    assert refused == 404
    assert page.goto(f"{base}/maps/grids/{s.U1}").status == 404


@pytest.fixture
def planner_page(secured, browser):
    """A planner of community C2 (where organizations 6 and 7 have no work coverage), logged in."""
    from gridsvc.services import users

    base, engine = secured
    with engine.begin() as conn:
        if not conn.scalar(text("SELECT count(*) FROM users WHERE name = 'planner2'")):
            users.add_user(conn, "planner2", "planner", s.C2, world.password("planner2"))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    refuse_outside(page, base, ())
    page.goto(f"{base}/login?next=/maps/coverage/{s.C2}")
    page.fill("#u", "planner2")
    page.fill("#p", world.password("planner2"))
    page.click("button[type=submit]")
    wait_for_map(page)
    yield page, base, engine
    context.close()


OPEN_ORG_POPUP = """(id) => { for (const key of Object.keys(window)) { if (key.startsWith("map_") && window[key] instanceof L.Map) {
    let done = false; window[key].eachLayer(l => { if (!done && l.feature && l.feature.properties.gs_kind === "gap"
        && l.feature.properties.id === id && l.feature.properties.kind === "org_no_work_coverage") { l.openPopup(); done = true; } });
    return done; } } }"""


def test_a_planner_sends_a_liaison_and_work_coverage_rises(planner_page):
    page, _, _ = planner_page
    figure = page.locator(".gs-summary tr", has_text="工作覆盖率").inner_text()
    assert "60% (3/5)" in figure  # C2's five organizations: o6 and o7 without work coverage
    assert page.evaluate(OPEN_ORG_POPUP, "o6")
    page.locator('.gs-gap-popup button[data-gs-action="liaison"]').click()
    page.fill("#gs-name", "孙指导")
    page.fill("#gs-phone", "13900004444")
    page.screenshot(path=str(SHOTS / "fix-liaison-1280.png"))
    with page.expect_navigation():
        page.locator(".gs-sheet button[type=submit]").click()
    wait_for_map(page)
    after = page.locator(".gs-summary tr", has_text="工作覆盖率").inner_text()
    before_n, after_n = (int(re.search(r"\((\d+)/", t).group(1)) for t in (figure, after))
    assert after_n == before_n + 1  # o6 is covered now
    assert not page.evaluate(OPEN_ORG_POPUP, "o6")  # and its gap is gone


def test_a_party_group_is_set_up_from_the_todo_row(leader_page):
    page, _, engine, outside = leader_page
    before = page.evaluate(STATUS, "b2")
    assert before[0] == "eligible_uncovered"  # b2 should have a Party group (a gap of the Party grid P1)
    page.evaluate(OPEN_BUILDING_POPUP, "b2")  # on the governance grid's map it is a building's popup away
    page.locator('.gs-building-popup button[data-gs-action="group"]').click()
    assert page.locator("#gs-gname").input_value() == "2号楼党小组"
    assert page.locator('.gs-sheet input[type=checkbox][value="b2"]').is_checked()
    page.fill("#gs-members", "5")
    page.screenshot(path=str(SHOTS / "fix-group-390.png"))
    with page.expect_navigation():
        page.locator(".gs-sheet button[type=submit]").click()
    wait_for_map(page)
    assert page.evaluate(STATUS, "b2")[0] != before[0]
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM party_orgs WHERE name = '2号楼党小组' AND kind = 'group'")) == 1
    assert outside == []


def test_a_grid_worker_is_added_from_the_grid_page(leader_page):
    page, _, _, outside = leader_page
    page.locator(".gs-summary details", has_text="工作人员").locator("summary").click()
    page.locator('button[data-gs-action="grid_staff"][data-role="grid_worker"]').click()
    page.fill("#gs-name", "吴新员")
    page.fill("#gs-phone", "13900006666")
    page.screenshot(path=str(SHOTS / "fix-grid-staff-390.png"))
    with page.expect_navigation():
        page.locator(".gs-sheet button[type=submit]").click()
    wait_for_map(page)
    staff = page.locator(".gs-summary details", has_text="工作人员").text_content()
    assert "吴新员" in staff and page.locator('button[data-gs-action="leave"][data-name="吴新员"]').count() == 1
    assert outside == []
