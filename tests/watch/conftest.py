"""Fixtures of the watch tests: Debian's Chromium for the dashboard test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("EU_CHROMIUM", "/usr/bin/chromium")
# SwiftShader gives WebGL without a GPU; the rest keeps Chromium from calling home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(live_url):
    """Debian's Chromium (never `playwright install`); module scope, after live_url, because
    Django refuses ORM calls while Playwright's sync loop runs on the main thread."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set EU_CHROMIUM)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def watch_ogc_url(live_url, tmp_path_factory) -> str:
    """/ogc/ of the live system, its configuration generated from the test database's views."""
    os.environ["EU_OGC_DIR"] = str(tmp_path_factory.mktemp("ogc"))
    os.environ["EU_PUBLIC_URL"] = live_url
    yield f"{live_url}/ogc"
    # Let pytest-django drop the test database: no pooled connection may stay open on it.
    from publish.ogc import db

    db.close_all()
