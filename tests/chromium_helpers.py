"""Real headless Chromium (Debian's), driven by Playwright, for every browser test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("EU_CHROMIUM", "/usr/bin/chromium")
# SwiftShader gives WebGL without a GPU; the rest keeps Chromium from calling home, so the
# tests' "every request stays on the system" checks see only what the page asks for.
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


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium (never `playwright install`).

    Use it from a module-scoped fixture that comes after live_url: while Playwright's sync API
    runs, the main thread has a running asyncio loop, so Django refuses ORM calls there.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set EU_CHROMIUM)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
