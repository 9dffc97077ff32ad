"""A real uvicorn server in a thread, and pages opened in Chromium with the outside network cut off."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from gridsvc.api import server_config


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL, stops it afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(server_config(app, app.state.settings, "127.0.0.1", port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def wait_for_map(page, timeout: float = 30.0) -> None:
    """Wait until Leaflet has drawn its panes. Polled with ``page.evaluate`` (DevTools, outside the
    page's Content-Security-Policy): Playwright's ``wait_for_function`` evaluates strings with
    ``eval``, which the map pages' policy rightly forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("() => window.L !== undefined && document.querySelector('.leaflet-pane') !== null"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no Leaflet map on {page.url} after {timeout:g} s")
        time.sleep(0.05)


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


def refuse_outside(page, base: str, local: tuple[str, ...] = ("data:",)) -> list[str]:
    """Let ``page`` reach only ``base`` (and the ``local`` schemes); every other request is refused
    and its URL appended to the list returned."""
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith((base, *local)):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def open_map(browser, url: str, base: str, shot: str, viewport=(1280, 800)):
    """Load ``url`` with every request off this server refused; return the page, its outside
    requests, its errors and its tile responses. A screenshot goes to maps/screenshots/."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    outside, errors, tiles = refuse_outside(page, base), [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda resp: tiles.append((resp.status, resp.url)) if "/tiles/" in resp.url else None)
    pending: dict[int, str] = {}
    page.on("request", lambda r: pending.__setitem__(id(r), r.url))
    for event in ("requestfinished", "requestfailed"):
        page.on(event, lambda r: pending.pop(id(r), None))
    page.goto(url)
    wait_for_map(page)
    try:  # quiet network: the screenshot shows every tile; off-server requests are refused above either way
        page.wait_for_load_state("networkidle")
    except PlaywrightTimeout:  # twice in full CI runs, never alone: name what was still open, and go on
        warnings.warn(f"{url}: requests still open after 30 s: {sorted(pending.values())}", stacklevel=2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / shot))
    return page, outside, errors, tiles
