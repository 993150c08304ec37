"""In a real browser: build a filter + Slack + e-mail workflow with the step editor's forms,
save it and read it back from the API; and every step type's card on a 375px phone.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser_support import (
    LiveServer,
    horizontal_overflow,
    save_screenshot,
    unlabelled_controls,
)
from tests.e2e.test_browser_skeleton import open_newest_run, send_github_push, sign_up
from tests.support.local_http import LocalServer

pytestmark = pytest.mark.browser

SLACK_URL = "https://hooks.slack.com/services/T1/B2/browsersecret9876"
SMTP_PASSWORD = "smtp-app-password-5555"


def add_step(page: Page, label: str, list_prefix: str = "steps") -> Locator:
    """Open the list's "Add a step" chooser, pick a type; return the new (last) card."""
    chooser = page.locator(f"[data-step-list='{list_prefix}'] > details.add-step")
    if chooser.get_attribute("open") is None:
        chooser.locator("summary").click()
    chooser.get_by_role("button", name=label, exact=True).click()
    return page.locator(f"[data-step-list='{list_prefix}'] > fieldset.step").last


def api_token(page: Page) -> str:
    page.goto("/account")
    page.get_by_label("Token name").fill("browser test")
    page.get_by_role("button", name="Create token").click()
    return page.locator("#new-token-value").input_value()


def test_filter_slack_and_email_steps_built_in_the_editor(
    page: Page, live_server: LiveServer
) -> None:
    sign_up(page, "maya@example.com")
    page.goto("/workflows/new")
    page.get_by_label("Workflow name").fill("Paid orders")
    page.get_by_role("button", name="Remove step").click()

    flt = add_step(page, "Filter (only continue if…)")
    flt.get_by_label("Continue when").select_option("all")
    flt.get_by_label("Value to check").fill("{{ trigger.body.type }}")
    flt.get_by_label("Condition", exact=True).select_option("exists")
    expect(flt.get_by_label("Compare with")).to_be_hidden()  # "exists" compares with nothing
    flt.get_by_label("Condition", exact=True).select_option("equals")
    flt.get_by_label("Compare with").fill("payment_intent.succeeded")

    slack = add_step(page, "Slack message")
    slack.get_by_label("Slack webhook URL").fill(SLACK_URL)
    slack.get_by_label("Message text").fill("Paid {{ trigger.body.data.object.amount }}")

    mail = add_step(page, "E-mail")
    # The Slack URL typed above went through a server round trip without coming back.
    assert "browsersecret9876" not in page.content()
    expect(page.locator("fieldset.step").nth(1).locator(".secret-mask")).to_have_text("••••9876")
    mail.get_by_label("SMTP server").fill("smtp.example.com")
    mail.get_by_label("Port").fill("465")
    mail.get_by_label("Security").select_option("ssl")
    mail.get_by_label("Username").fill("shop")
    mail.get_by_label("Password").fill(SMTP_PASSWORD)
    mail.get_by_label("From").fill("Shop <shop@example.com>")
    mail.get_by_label("To", exact=True).fill("{{ trigger.body.email }}")
    mail.get_by_label("Subject").fill("Thanks for order {{ trigger.body.id }}")
    mail.get_by_label("Message (plain text)").fill("We got your payment.")
    save_screenshot(page, "editor-filter-slack-email")
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name="Paid orders", level=1)).to_be_visible()
    workflow_id = re.search(r"/workflows/(\d+)", page.url)[1]  # type: ignore[index]

    token = api_token(page)
    answer = httpx.get(
        live_server.url(f"/api/v1/workflows/{workflow_id}"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    steps = answer.json()["steps"]
    assert [step["type"] for step in steps] == ["filter", "slack_message", "email"]
    assert steps[0]["config"]["match"] == "all"
    assert steps[0]["config"]["conditions"] == [
        {
            "field": "{{ trigger.body.type }}",
            "operator": "equals",
            "value": "payment_intent.succeeded",
            "ignore_case": False,
        }
    ]
    assert steps[1]["config"]["webhook_url"] == "••••9876"
    assert steps[1]["config"]["text"] == "Paid {{ trigger.body.data.object.amount }}"
    email = steps[2]["config"]
    assert (email["host"], email["port"], email["tls"], email["username"]) == (
        "smtp.example.com",
        465,
        "ssl",
        "shop",
    )
    assert email["password"] == "••••5555"
    assert email["to"] == "{{ trigger.body.email }}"
    assert email["text_body"] == "We got your payment."


def test_every_step_type_fits_a_phone_screen(
    phone_page: Page, live_server: LiveServer, sink: LocalServer
) -> None:
    page = phone_page
    sign_up(page, "noor@example.com")
    page.goto("/workflows/new")
    page.get_by_label("Workflow name").fill("Everything on a phone")
    for label in ("Slack message", "Discord message", "E-mail", "Delay", "Format data"):
        add_step(page, label)
    add_step(page, "Filter (only continue if…)")
    paths = add_step(page, "Paths (if / otherwise)")
    paths_prefix = paths.get_attribute("data-step-prefix")
    add_step(page, "HTTP request", f"{paths_prefix}-branches-0-steps")
    page.get_by_role("button", name="Add a fallback path (otherwise…)").click()
    add_step(page, "E-mail", f"{paths_prefix}-fallback-steps")
    expect(page.locator("fieldset.step")).to_have_count(10)
    save_screenshot(page, "phone-editor-every-step")
    problems = [f"editor: {el}" for el in horizontal_overflow(page)]
    problems += [f"editor: no label: {html}" for html in unlabelled_controls(page)]

    page.goto("/workflows/new")
    page.get_by_label("Workflow name").fill("Phone")
    page.locator("input[name='steps-0-url']").fill(sink.url("/in"))
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name="Phone", level=1)).to_be_visible()
    problems += [f"workflow page: {el}" for el in horizontal_overflow(page)]
    send_github_push(page.locator("#hook-url").input_value())
    open_newest_run(page)
    problems += [f"run page: {el}" for el in horizontal_overflow(page)]
    page.goto("/")
    problems += [f"dashboard: {el}" for el in horizontal_overflow(page)]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert not problems, "\n".join(problems)
