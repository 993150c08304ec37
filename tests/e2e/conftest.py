"""Browser fixtures: a live Hookline server and a chromium per test, fresh pages.

Every fixture here skips (with the reason shown) when /usr/bin/chromium is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from app.settings import Settings
from tests.e2e.browser_support import (
    PHONE_VIEWPORT,
    LiveServer,
    launch_chromium,
    require_chromium,
    serve_live,
)

BROWSER_TIMEOUT_MS = 15_000


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[Browser]:
    """Chromium for one test. It starts after the server and database on purpose: the sync
    Playwright driver keeps an event loop running in this thread, so fixtures that call
    `asyncio.run()` (migrations) must have finished before it starts."""
    with sync_playwright() as driver:
        chromium = launch_chromium(driver)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The whole app (web + embedded worker + sweeper) listening on 127.0.0.1."""
    require_chromium()
    yield from serve_live(settings)


def _open_context(browser: Browser, live_server: LiveServer, **options: object) -> BrowserContext:
    context = browser.new_context(base_url=live_server.base_url, **options)  # type: ignore[arg-type]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.base_url)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A desktop-sized tab on the live server (relative URLs work in `goto`)."""
    context = _open_context(browser, live_server, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A 375px-wide touch tab on the live server, like a small phone."""
    context = _open_context(browser, live_server, viewport=PHONE_VIEWPORT, has_touch=True)
    yield context.new_page()
    context.close()
