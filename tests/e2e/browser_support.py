"""Real-browser test machinery: a live Hookline server, Debian's chromium, screenshots.

The server is the whole app (`create_app(settings, embedded_worker=True)`) under uvicorn
in a background thread, on a socket bound to a free 127.0.0.1 port before the app is
built, so hook URLs printed by the app point at the server itself. The browser is
`/usr/bin/chromium` driven by Playwright's sync API; `playwright install` is never used.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright

from app.settings import Settings
from app.web.asgi import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE_VIEWPORT = {"width": 375, "height": 812}


@dataclass(frozen=True)
class LiveServer:
    """A running Hookline reachable over real TCP."""

    base_url: str
    settings: Settings

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}{path}"


def require_chromium() -> None:
    """Skip the calling test (with the reason shown) when Debian's chromium is absent."""
    if not CHROMIUM.is_file():
        pytest.skip(f"browser test skipped: {CHROMIUM} not found (apt-get install chromium)")


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def _with_base_url(settings: Settings, base_url: str) -> Settings:
    app_settings = settings.app.model_copy(update={"public_base_url": base_url})
    outbound = settings.outbound.model_copy(update={"total_timeout": 30.0})
    return settings.model_copy(update={"app": app_settings, "outbound": outbound})


def serve_live(settings: Settings, *, startup_timeout: float = 20.0) -> Iterator[LiveServer]:
    """Run the app with its embedded worker until the generator is closed."""
    sock = _bound_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    live_settings = _with_base_url(settings, base_url)
    config = uvicorn.Config(
        create_app(live_settings, embedded_worker=True),
        log_level="warning",
        lifespan="on",
        loop="asyncio",
        http="h11",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live Hookline server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(base_url=base_url, settings=live_settings)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def save_screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG to test-artifacts/ (gitignored) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def poll_until(predicate, *, timeout: float = 15.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Call a sync predicate until it returns something truthy (for non-browser state)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


UNLABELLED_CONTROLS_JS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120))
"""

WIDER_THAN_VIEWPORT_JS = """
() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
               + (el.className && typeof el.className === 'string' ? '.' + el.className : ''))
  .slice(0, 10)
"""


def horizontal_overflow(page: Page) -> list[str]:
    """Elements sticking out to the right, when the page scrolls sideways (else [])."""
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return [] if fits else page.evaluate(WIDER_THAN_VIEWPORT_JS) or ["<document>"]


def unlabelled_controls(page: Page) -> list[str]:
    """Form controls with neither a <label> (for= or wrapping) nor an aria-label."""
    return page.evaluate(UNLABELLED_CONTROLS_JS)


FOCUSED_NAME_JS = """
() => {
  const el = document.activeElement;
  window.__tabSeen = window.__tabSeen || new WeakSet();
  if (!el || el === document.body || window.__tabSeen.has(el)) return null;
  window.__tabSeen.add(el);
  return (el.getAttribute('aria-label') || el.innerText || el.value || el.tagName).trim();
}
"""


def tab_stops(page: Page, *, limit: int = 80) -> list[str]:
    """Names of what the Tab key focuses, in order, from the top until it wraps around."""
    page.evaluate("() => { window.__tabSeen = new WeakSet(); document.activeElement?.blur(); }")
    names: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        name = page.evaluate(FOCUSED_NAME_JS)
        if name is None:
            break
        names.append(name)
    return names


SMALL_TARGETS_JS = """
(minimum) => [...document.querySelectorAll('button, .button, input, select, textarea, summary')]
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .filter((el) => { const box = (el.closest('label') || el).getBoundingClientRect();
                    return box.width < minimum || box.height < minimum; })
  .map((el) => el.outerHTML.slice(0, 100))
"""


def small_targets(page: Page, *, minimum: int = 24) -> list[str]:
    """Controls smaller than `minimum` CSS pixels a side (WCAG 2.2 target size, AA).

    A control wrapped in its <label> is measured by the label: tapping either works."""
    return page.evaluate(SMALL_TARGETS_JS, minimum)
