"""The first pages a person opens work with the outside network cut off (issue 16, item 6): ``/``
lists the areas with links to their maps; ``/docs`` (Swagger UI) and ``/redoc`` render the API from
scripts served by gridsvc itself, under a Content-Security-Policy the pages do not violate."""

from __future__ import annotations

import time

import pytest

from tests.browser.serving import SHOTS, refuse_outside


def _open(browser, base: str, path: str):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    outside, errors, violations = refuse_outside(page, base, ("data:", "blob:")), [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(base + path)
    return page, outside, errors, violations


def _wait_for(page, selector: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"{selector} never appeared on {page.url}"
        time.sleep(0.1)


@pytest.mark.parametrize(("path", "drawn"), [("/docs", ".opblock-tag"), ("/redoc", "[role=menuitem]")])
def test_the_api_docs_render_offline(server, browser, path, drawn):
    base, _, _ = server
    page, outside, errors, violations = _open(browser, base, path)
    _wait_for(page, drawn)
    assert "/api/coverage" in page.content()
    page.screenshot(path=str(SHOTS / f"docs{path.replace('/', '-')}.png"))
    # ReDoc's sidebar credit is an image on its CDN: the policy blocks it (nothing leaves), nothing else
    assert outside == [] and errors == [] and [v for v in violations if "cdn.redoc.ly" not in v] == []
    page.close()


def test_the_landing_page_links_each_area_to_its_map(server, browser):
    base, demo, _ = server
    page, outside, errors, violations = _open(browser, base, "/")
    link = page.locator(f'a[href="/maps/coverage/{demo.district_code}"]')
    assert link.count() == 1 and "生成数据" in link.inner_text()
    assert page.locator('a[href="/docs"]').count() == 1 and page.locator('a[href^="/login"]').count() == 1
    link.click()
    page.wait_for_url(f"**/maps/coverage/{demo.district_code}")
    assert outside == [] and errors == [] and violations == []
    page.close()
