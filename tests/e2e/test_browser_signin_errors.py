"""In chromium: a wrong password shows the red message on the sign-in page (not HTML
source), and provider buttons are a plain stack with "or" before the password form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from app.settings import AuthSettings, Settings
from tests.auth.provider_support import MockProvider, running_provider
from tests.e2e.browser_support import LiveServer, require_chromium, serve_live

pytestmark = pytest.mark.browser

BAD_RED = "rgb(180, 35, 24)"  # --bad in static/app.css


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """Local accounts on, beside one (local) OpenID provider."""
    require_chromium()
    provider: MockProvider
    with running_provider() as provider:
        auth = AuthSettings(providers=(provider.sign_in_settings(),), local_accounts=True)
        yield from serve_live(settings.model_copy(update={"auth": auth}))


def test_browser_wrong_password_shows_the_red_message(page: Page, live_server: LiveServer) -> None:
    page.goto("/signin")
    providers = page.locator("ul.providers")
    assert providers.evaluate("el => getComputedStyle(el).listStyleType") == "none"
    expect(page.locator("#signin-or")).to_have_text("or")

    page.get_by_label("E-mail").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()

    error = page.locator("#signin-error")
    expect(error).to_have_text("Wrong e-mail or password.")
    assert error.evaluate("el => getComputedStyle(el).color") == BAD_RED
    expect(page.get_by_role("heading", name="Sign in to Hookline")).to_be_visible()
    assert "<html" not in page.locator("body").inner_text()  # rendered, not shown as source
