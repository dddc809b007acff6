"""Real headless Chromium (Debian's), driven by Playwright, for the browser tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("EU_CHROMIUM", "/usr/bin/chromium")
# SwiftShader gives WebGL without a GPU; the rest keeps Chromium from calling home, so the
# test's "every request stays on the system" check sees only what the page asks for.
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


# Module scope, and after live_url: while Playwright's sync API runs, the main thread has a
# running asyncio loop, so Django refuses ORM calls there (SynchronousOnlyOperation). The
# database and live server are therefore set up first, and Playwright stops when this module
# is done, before the tests of other modules use the ORM again.
@pytest.fixture(scope="module")
def browser(live_url):
    """Debian's Chromium (never `playwright install`), once for the browser tests."""
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
