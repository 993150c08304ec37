"""A person signs in through an OpenID provider's own page, in chromium, and lands on the dashboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from app.settings import AuthSettings, Settings
from tests.auth.provider_support import MockProvider, running_provider
from tests.e2e.browser_support import LiveServer, require_chromium, serve_live

pytestmark = pytest.mark.browser


@pytest.fixture
def provider() -> Iterator[MockProvider]:
    require_chromium()
    with running_provider() as running:
        running.add_user("ada-browser", "ada@example.com", verified=True)
        yield running


@pytest.fixture
def live_server(settings: Settings, provider: MockProvider) -> Iterator[LiveServer]:
    """The app trusting the local provider, with local accounts switched off."""
    auth = AuthSettings(providers=(provider.sign_in_settings(),), local_accounts=False)
    yield from serve_live(settings.model_copy(update={"auth": auth}))


def test_browser_signin_through_provider_lands_on_dashboard(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/workflows/new")
    expect(page).to_have_url(f"{live_server.base_url}/signin?next=/workflows/new")
    assert page.locator("#local-signin").count() == 0
    page.get_by_role("link", name="Continue with Mock ID").click()

    page.locator("input[name=sub]").fill("ada-browser")
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(f"{live_server.base_url}/workflows/new")
    page.goto("/")
    expect(page.get_by_role("heading", name="Your workflows")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out (ada@example.com)")).to_be_visible()
