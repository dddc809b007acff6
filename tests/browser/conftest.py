"""Real headless Chromium (Debian's), driven by Playwright, for the browser tests."""

from __future__ import annotations

import pytest
from chromium_helpers import chromium


# Module scope, and after live_url: while Playwright's sync API runs, the main thread has a
# running asyncio loop, so Django refuses ORM calls there (SynchronousOnlyOperation). The
# database and live server are therefore set up first, and Playwright stops when this module
# is done, before the tests of other modules use the ORM again.
@pytest.fixture(scope="module")
def browser(live_url):
    """Debian's Chromium, once for the browser tests of a module."""
    with chromium() as browser:
        yield browser
