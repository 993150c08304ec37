"""In a real browser: the strict CSP breaks nothing, and the API reference renders offline."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.test_browser_skeleton import sign_up

pytestmark = pytest.mark.browser


def test_pages_run_under_the_csp_without_a_single_violation(page: Page) -> None:
    complaints: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            complaints.append(message.text)

    page.on("console", listen)
    sign_up(page, f"csp-{uuid.uuid4().hex[:8]}@example.com")
    page.goto("/workflows/new")
    page.get_by_label("Workflow name").fill("Under CSP")
    page.get_by_label("URL", exact=True).fill("https://example.com/orders")
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name="Under CSP")).to_be_visible()
    page.goto("/help/templates")
    page.goto("/account")
    assert complaints == []


def test_the_api_reference_renders_with_no_network(page: Page) -> None:
    page.goto("/schema")
    expect(page.get_by_role("heading", name="Hookline API")).to_be_visible()
    expect(page.get_by_text("Bearer <api token>", exact=False)).to_be_visible()
