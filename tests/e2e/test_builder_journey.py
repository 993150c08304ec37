"""Issue 5's journey in a real browser, as a new user would do it: sign up, create a workflow,
copy its URL, send a Stripe payment to it, build "filter, then post to Slack" with the field
picker, test the Slack step, save, send the payment again and watch the run succeed and
the message arrive at a local Slack-shaped receiver. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser_support import (
    PHONE_VIEWPORT,
    LiveServer,
    horizontal_overflow,
    poll_until,
    save_screenshot,
)
from tests.fixtures import FIXTURES
from tests.support.chat_webhooks import SLACK_PATH, serve_chat_webhooks
from tests.support.local_http import LocalServer

pytestmark = pytest.mark.browser

STRIPE = (FIXTURES / "stripe" / "payment_intent.succeeded.json").read_bytes()
AMOUNT = json.loads(STRIPE)["data"]["object"]["amount"]
PASSWORD = "correct horse battery staple"
AMOUNT_EXPRESSION = "{{ trigger.body.data.object.amount }}"


@pytest.fixture
def slack() -> Iterator[LocalServer]:
    yield from serve_chat_webhooks("127.0.0.1")


def sign_up(page: Page, email: str) -> None:
    page.goto("/signup")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your workflows")).to_be_visible()


def send_payment(hook_url: str) -> None:
    answer = httpx.post(
        hook_url, content=STRIPE, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert answer.status_code == 202, answer.text


def add_step(page: Page, label: str) -> Locator:
    """Open "Add a step", choose `label`; the editor comes back with the new card last."""
    chooser = page.locator("details.add-step").last
    if chooser.get_attribute("open") is None:
        chooser.locator("summary").click()
    chooser.get_by_role("button", name=label, exact=True).click()
    return page.locator("form.editor > .step-list > fieldset.step").last


def open_branch(within: Locator, label: str) -> None:
    """Unfold the picker's branch for the key `label` (if it is not unfolded already)."""
    branch = within.locator(f"details:has(> summary > .field-label:text-is('{label}'))").first
    if branch.get_attribute("open") is None:
        branch.locator("> summary").click()
    expect(branch).to_have_attribute("open", "")


def test_build_test_and_run_a_stripe_to_slack_workflow(
    page: Page, live_server: LiveServer, slack: LocalServer
) -> None:
    sign_up(page, "new.user@example.com")
    page.get_by_role("link", name="Create your first workflow").click()
    page.get_by_label("Workflow name").fill("Stripe payments to Slack")
    page.get_by_role("button", name="Remove step").click()  # start from the trigger alone
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name="Stripe payments to Slack", level=1)).to_be_visible()

    # Copy the URL like a person would, and send Stripe's payment to it.
    page.wait_for_load_state()
    page.locator("button[data-copy='#hook-url']").click()
    hook_url = page.evaluate("navigator.clipboard.readText()")
    assert hook_url == page.locator("#hook-url").input_value()
    assert hook_url.startswith(live_server.url("/hooks/"))
    send_payment(hook_url)

    # A Slack step whose text uses the amount, picked from the real event.
    page.get_by_role("link", name="Edit steps").click()
    card = add_step(page, "Slack message")
    card.get_by_label("Slack webhook URL").fill(slack.url(SLACK_PATH))
    text = card.get_by_label("Message text")
    text.fill("New payment of  cents")
    text.evaluate("(area) => area.setSelectionRange(15, 15)")  # between the two spaces
    card.get_by_role("link", name="Insert data from your last event").click()
    picker = card.locator("section.field-picker")
    expect(picker.get_by_text("event #", exact=False)).to_be_visible()
    open_branch(picker, "data")
    open_branch(picker.locator("details", has=page.locator("summary", has_text="data")), "object")
    amount = picker.locator(f"button[data-insert='{AMOUNT_EXPRESSION}']")
    expect(amount).to_contain_text(str(AMOUNT))
    print("field picker screenshot:", save_screenshot(page, "builder-journey-picker"))
    page.set_viewport_size(PHONE_VIEWPORT)
    assert horizontal_overflow(page) == [], "the open picker fits a 375px-wide phone"
    page.set_viewport_size({"width": 1280, "height": 900})
    amount.click()
    expect(text).to_have_value(f"New payment of {AMOUNT_EXPRESSION} cents")
    expect(text).to_be_focused()

    # A filter first: only successful payments go on to Slack.
    filter_card = add_step(page, "Filter (only continue if…)")
    filter_card.get_by_label("Value to check").fill("{{ trigger.body.type }}")
    filter_card.get_by_label("Compare with").fill("payment_intent.succeeded")
    filter_card.get_by_role("button", name="Move up").click()
    slack_card = page.locator("fieldset.step[data-step-type='slack_message']")
    expect(slack_card.locator("legend")).to_contain_text("Step 2")
    expect(slack_card.get_by_label("Message text")).to_have_value(
        f"New payment of {AMOUNT_EXPRESSION} cents"
    )

    # Test the Slack step: the receiver gets the message, nothing is recorded as a run.
    slack_card.get_by_role("button", name="Test this step").click()
    result = slack_card.locator("section.step-test-result")
    expect(result).to_have_attribute("data-outcome", "succeeded")
    expect(result).to_contain_text("Response received: 200")
    expect(result.locator("pre.request")).not_to_contain_text("slack-secret-token")
    assert [json.loads(r.body)["text"] for r in slack.received] == [
        f"New payment of {AMOUNT} cents"
    ]
    print("builder screenshot:", save_screenshot(page, "builder-journey-editor"))

    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name="Stripe payments to Slack", level=1)).to_be_visible()
    assert page.locator("#runs tbody tr").count() == 1, "only the first payment's (empty) run"

    # The real thing: the payment again, a run that succeeds, a second Slack message.
    send_payment(hook_url)
    run_link = page.locator("#runs tbody tr a[href^='/runs/']").first

    def new_run_listed() -> bool:
        page.reload()
        return page.locator("#runs tbody tr").count() == 2

    poll_until(new_run_listed, interval=0.3)
    run_link.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Run #\d+"))).to_be_visible()
    expect(page.locator("#run-status [data-status]").first).to_have_attribute(
        "data-status", "succeeded", timeout=20_000
    )
    expect(page.locator("section.attempt[data-status='succeeded']")).to_have_count(2)
    poll_until(lambda: len(slack.received) == 2)
    assert json.loads(slack.received[1].body)["text"] == f"New payment of {AMOUNT} cents"
    print("run page screenshot:", save_screenshot(page, "builder-journey-run"))
