"""The browser tests' shared parts: one headless Chromium (Debian's) per module, and the demo
district served by a real uvicorn."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gridsvc.api import create_app
from gridsvc.services import imports
from tests.browser.serving import CHROMIUM, serve


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: ./dev setup installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(engine, settings):
    """The demo district, served: (base URL, the demo, the engine)."""
    from sqlalchemy import text

    from tests.conftest import TABLES

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    _, demo = imports.build_demo(engine, 20240501)
    with serve(create_app(settings)) as base:
        yield base, demo, engine
