"""In a real browser (issue 5 cosmetics): radio buttons sit next to their words instead of
being stretched across the card, and submit buttons keep a gap below the input above
them; at 375 px neither the sign-in, editor nor workflow page scrolls sideways."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.test_browser_skeleton import fill_workflow_form, sign_up

pytestmark = pytest.mark.browser
MIN_GAP_PX = 8


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not on screen"
    return found


def gap_below(above: Locator, below: Locator) -> float:
    return box(below)["y"] - (box(above)["y"] + box(above)["height"])


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways at {widths[1]}px: {widths}"


def assert_radios_hug_their_words(page: Page) -> None:
    for name in ("When its webhook URL receives a request", "On a schedule"):
        radio = page.get_by_label(name)
        label = page.locator("label.check", has=radio)
        assert box(radio)["width"] <= 24, f"the {name!r} radio is stretched"
        assert box(radio)["x"] - box(label)["x"] <= 4, f"the {name!r} radio floats mid-card"


def test_radios_and_button_spacing_on_desktop_and_phone(page: Page) -> None:
    for width, height in ((1280, 900), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/signin")
        assert (
            gap_below(page.get_by_label("Password"), page.get_by_role("button", name="Sign in"))
            >= MIN_GAP_PX
        )
        assert_no_sideways_scroll(page)

    sign_up(page, f"layout-{uuid.uuid4().hex[:8]}@example.com")
    for width, height in ((1280, 900), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/workflows/new")
        assert_radios_hug_their_words(page)
        assert_no_sideways_scroll(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    fill_workflow_form(page, name="Spacing", url="https://example.com/in")
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name="Spacing")).to_be_visible()
    replay = page.get_by_role("button", name="Replay failed runs")
    assert gap_below(page.get_by_label("To (UTC)"), replay) >= MIN_GAP_PX
    expect(page.locator("table#runs")).to_have_count(0)  # "No runs yet" without a bare header
    page.set_viewport_size({"width": 375, "height": 812})
    assert_no_sideways_scroll(page)
