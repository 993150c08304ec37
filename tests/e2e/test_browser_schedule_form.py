"""In a real browser: the schedule inputs appear only when a schedule is chosen, and only
the ones the chosen frequency needs; a weekly schedule saved this way shows its next run."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_browser_skeleton import sign_up

pytestmark = pytest.mark.browser


def test_schedule_inputs_follow_the_choices_and_save(page: Page) -> None:
    sign_up(page, f"sched-{uuid.uuid4().hex[:8]}@example.com")
    page.goto("/workflows/new")
    how_often = page.get_by_label("How often")
    expect(how_often).to_be_hidden()  # a webhook workflow needs no schedule inputs

    page.get_by_label("On a schedule").check()
    expect(how_often).to_be_visible()
    expect(page.get_by_label("Time of day (every day, every week)")).to_be_visible()
    expect(page.get_by_label("Day (every week)")).to_be_hidden()
    expect(page.get_by_label("Cron expression (custom)")).to_be_hidden()

    how_often.select_option("weekly")
    expect(page.get_by_label("Day (every week)")).to_be_visible()
    page.get_by_label("Day (every week)").select_option("friday")
    page.get_by_label("Time of day (every day, every week)").fill("16:30")
    page.get_by_label("Time zone").fill("Europe/Berlin")

    page.get_by_label("Workflow name").fill("Weekly report")
    page.get_by_label("URL", exact=True).fill("https://example.com/report")
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name="Weekly report")).to_be_visible()
    expect(page.get_by_text("Friday", exact=False).first).to_be_visible()

    page.goto(page.url + "/edit")
    expect(page.get_by_label("On a schedule")).to_be_checked()
    expect(page.get_by_label("Day (every week)")).to_have_value("friday")
    page.get_by_label("When its webhook URL receives a request").check()
    expect(page.get_by_label("How often")).to_be_hidden()
