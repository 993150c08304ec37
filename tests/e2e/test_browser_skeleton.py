"""In a real browser: sign up, build a workflow, receive a GitHub push, watch the run finish.

Also checks the main pages on a 375px-wide phone: no sideways scrolling, every form
control labelled, controls big enough to tap, the main buttons reachable with Tab.
"""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser_support import (
    LiveServer,
    horizontal_overflow,
    poll_until,
    save_screenshot,
    small_targets,
    tab_stops,
    unlabelled_controls,
)
from tests.fixtures import FIXTURES
from tests.support.local_http import LocalServer

pytestmark = pytest.mark.browser

GITHUB_PUSH = (FIXTURES / "github" / "push.payload.json").read_bytes()
REPO_FULL_NAME = json.loads(GITHUB_PUSH)["repository"]["full_name"]
MAPPED_BODY = '{"repo": "{{ trigger.body.repository.full_name }}"}'
PASSWORD = "correct horse battery staple"


def sign_up(page: Page, email: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin"))
    page.get_by_role("link", name="Create one").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your workflows")).to_be_visible()


def fill_workflow_form(page: Page, *, name: str, url: str) -> None:
    page.get_by_label("Workflow name").fill(name)
    step = page.locator("fieldset.step").first
    step.locator("select[name='steps-0-method']").select_option("POST")
    step.locator("input[name='steps-0-url']").fill(url)
    step.locator("textarea[name='steps-0-headers']").fill("Content-Type: application/json")
    step.locator("textarea[name='steps-0-body']").fill(MAPPED_BODY)


def create_workflow(page: Page, *, name: str, url: str) -> str:
    """Fill and save the editor; return the hook URL shown on the workflow page."""
    page.goto("/workflows/new")
    fill_workflow_form(page, name=name, url=url)
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    return page.locator("#hook-url").input_value()


def send_github_push(hook_url: str) -> int:
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "123456",
        "User-Agent": "GitHub-Hookshot/a1b2c3d",
    }
    answer = httpx.post(hook_url, content=GITHUB_PUSH, headers=headers, timeout=10)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["event_id"])


def open_newest_run(page: Page) -> None:
    """On a workflow page, reload until the run for the event shows up, then follow it."""
    run_link = page.locator("#runs tbody tr a[href^='/runs/']").first

    def run_listed() -> bool:
        page.reload()
        return run_link.count() > 0

    poll_until(run_listed, interval=0.3)
    run_link.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Run #\d+"))).to_be_visible()


def test_signup_to_succeeded_run_in_a_browser(
    page: Page, live_server: LiveServer, sink: LocalServer
) -> None:
    sign_up(page, "dana@example.com")
    expect(page.get_by_role("heading", name="No workflows yet")).to_be_visible()
    page.get_by_role("link", name="Create your first workflow").click()
    expect(page).to_have_url(re.compile(r"/workflows/new$"))

    # /slow holds the answer until released, so the run page opens on an unfinished run.
    fill_workflow_form(page, name="Pushes to the sink", url=sink.url("/slow"))
    save_screenshot(page, "editor-filled")
    page.get_by_role("button", name="Save workflow").click()
    expect(page.get_by_role("heading", name="Pushes to the sink", level=1)).to_be_visible()
    hook_url = page.locator("#hook-url").input_value()
    assert hook_url.startswith(live_server.url("/hooks/"))

    page.wait_for_load_state()  # app.js (deferred) wires the Copy button up
    copy = page.locator("button[data-copy='#hook-url']")
    expect(copy).to_have_accessible_name("Copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_attached()
    assert page.evaluate("navigator.clipboard.readText()") == hook_url

    send_github_push(hook_url)
    open_newest_run(page)
    status = page.locator("#run-status [data-status]").first
    expect(status).not_to_have_attribute("data-status", "succeeded")

    page.evaluate("window.stillTheSamePage = true")
    sink.release.set()
    expect(status).to_have_text("Succeeded")
    assert page.evaluate("window.stillTheSamePage") is True, "the page was reloaded"
    expect(page.locator(".attempt").first).to_have_attribute("data-status", "succeeded")
    save_screenshot(page, "run-succeeded")

    assert [request.path for request in sink.received] == ["/slow"]
    assert json.loads(sink.received[0].body) == {"repo": REPO_FULL_NAME}


def audit_phone_page(page: Page, path: str, main_controls: list[str]) -> list[str]:
    """What a phone user would trip over on `path` (empty when it is fine)."""
    page.goto(path)
    problems = [f"{path}: sticks out sideways: {el}" for el in horizontal_overflow(page)]
    problems += [f"{path}: no label: {html}" for html in unlabelled_controls(page)]
    problems += [f"{path}: too small to tap: {html}" for html in small_targets(page)]
    reached = tab_stops(page)
    problems += [
        f"{path}: Tab never reaches {name!r} (reached {reached})"
        for name in main_controls
        if name not in reached
    ]
    save_screenshot(page, f"phone-{path.strip('/') or 'dashboard'}")
    return problems


def test_main_pages_work_on_a_phone_with_a_keyboard(
    phone_page: Page, live_server: LiveServer, sink: LocalServer
) -> None:
    sign_up(phone_page, "erin@example.com")
    problems = audit_phone_page(phone_page, "/", ["New workflow", "Create your first workflow"])
    problems += audit_phone_page(phone_page, "/workflows/new", ["Save workflow", "Remove step"])

    hook_url = create_workflow(phone_page, name="A long workflow name " * 4, url=sink.url("/in"))
    workflow_path = phone_page.url.removeprefix(live_server.base_url)
    send_github_push(hook_url)
    open_newest_run(phone_page)
    expect(phone_page.locator("#run-status [data-status]").first).to_have_text("Succeeded")
    run_path = phone_page.url.removeprefix(live_server.base_url)

    problems += audit_phone_page(phone_page, workflow_path, ["Copy", "Edit steps", "Delete"])
    problems += audit_phone_page(phone_page, run_path, ["Sign out (erin@example.com)"])
    assert not problems, "\n".join(problems)
