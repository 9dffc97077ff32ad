"""A real uvicorn server in a thread, for the browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

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
