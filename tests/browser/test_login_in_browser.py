"""With authentication on, in real headless Chromium: a person logs in on /login, lands on the map
they asked for, its tiles load with the cookie, and another community's map stays closed."""

from __future__ import annotations

import pytest

from gridsvc.api import create_app
from tests import coverage_scene as s
from tests.access import world
from tests.browser.serving import COUNT_LAYERS, serve, wait_for_map


@pytest.fixture(scope="module")
def secured(engine, settings, tmp_path_factory):
    world.build(engine, tmp_path_factory.mktemp("login"))
    with serve(create_app(settings.model_copy(update={"auth_required": True}))) as base:
        yield base


def test_map_opened_after_login_draws_only_the_scope(secured, browser):
    base = secured
    context = browser.new_context()
    page = context.new_page()
    assert page.goto(f"{base}/maps/coverage/{s.C1}").status == 401  # no cookie yet
    page.goto(f"{base}/login?next=/maps/coverage/{s.C1}")
    page.fill("#u", "planner")
    page.fill("#p", world.password("planner"))
    page.click("button[type=submit]")
    wait_for_map(page)
    page.wait_for_load_state("networkidle")
    assert page.url == f"{base}/maps/coverage/{s.C1}"
    counts = page.evaluate(COUNT_LAYERS)
    assert counts.get("grid") == 2  # C1's Party-side grids P1, P2 (coloured by a Party metric); none of C2's
    assert s.U1 not in page.content() and s.P1 in page.content()
    tiles = page.evaluate(
        """async (url) => { const r = await fetch(url); return [r.status, r.headers.get('cache-control')]; }""",
        "/tiles/buildings/13/0/0.pbf",
    )
    assert tiles == [200, "private, max-age=300"]  # the cookie opens tiles too, never shared caches
    other = page.goto(f"{base}/maps/coverage/{s.C2}")
    assert other.status == 404
    context.close()
