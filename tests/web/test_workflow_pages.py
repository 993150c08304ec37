"""Workflow pages as a signed-in person uses them: editor forms, steps, toggles, CSRF, sign-in."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from tests.support.page_session import csrf_token, sign_in_browser_session

PASSWORD = "correct horse battery"


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def step_fields(index: int, url: str, body: str = "") -> dict[str, str]:
    return {
        f"steps-{index}-type": "http_request",
        f"steps-{index}-method": "POST",
        f"steps-{index}-url": url,
        f"steps-{index}-headers": "Content-Type: application/json",
        f"steps-{index}-body": body,
        f"steps-{index}-enabled": "on",
    }


def urls_in_editor(page: BeautifulSoup) -> list[str]:
    return [str(field.get("value", "")) for field in page.select("input[name$='-url']")]


@pytest.fixture
async def signed_in(client: AsyncTestClient) -> AsyncTestClient:
    await sign_in_browser_session(client, "dana@example.com", PASSWORD)
    return client


async def submit_editor(
    client: AsyncTestClient, path: str, fields: dict[str, str], action: str = "save"
):  # type: ignore[no-untyped-def]
    token = csrf_token((await client.get(path)).text)
    return await client.post(
        path, data={"_csrf_token": token, "action": action, **fields}, follow_redirects=False
    )


async def create_via_form(client: AsyncTestClient, *urls: str) -> str:
    fields = {"name": "Form workflow", "enabled": "on"}
    for index, url in enumerate(urls):
        fields |= step_fields(index, url)
    created = await submit_editor(client, "/workflows/new", fields)
    assert created.status_code in (302, 303), created.text
    return str(created.headers["location"])


async def test_workflow_form_creates_and_edits_steps_in_order(signed_in: AsyncTestClient) -> None:
    client = signed_in
    detail_path = await create_via_form(client, "https://a.example/1")
    detail = html((await client.get(detail_path)).text)
    assert detail.select_one("h1").text == "Form workflow"
    assert detail.select_one("#hook-url")["value"].startswith("http://testserver.local/hooks/")

    edit_path = f"{detail_path}/edit"
    fields = {"name": "Form workflow", "enabled": "on"}
    fields |= step_fields(0, "https://a.example/1") | step_fields(1, "https://b.example/2")
    added = await submit_editor(client, edit_path, fields, action="add_step")
    assert urls_in_editor(html(added.text)) == ["https://a.example/1", "https://b.example/2", ""]

    moved = await submit_editor(client, edit_path, fields, action="up:1")
    assert urls_in_editor(html(moved.text)) == ["https://b.example/2", "https://a.example/1"]

    removed = await submit_editor(client, edit_path, fields, action="remove_step:0")
    assert urls_in_editor(html(removed.text)) == ["https://b.example/2"]

    reordered = step_fields(0, "https://b.example/2") | step_fields(1, "https://a.example/1")
    saved = await submit_editor(
        client, edit_path, {"name": "Renamed", "enabled": "on", **reordered}
    )
    assert saved.status_code in (302, 303), saved.text
    editor = html((await client.get(edit_path)).text)
    assert urls_in_editor(editor) == ["https://b.example/2", "https://a.example/1"]
    assert editor.select_one("#name")["value"] == "Renamed"


async def test_workflow_form_template_error_is_shown_next_to_the_body(
    signed_in: AsyncTestClient,
) -> None:
    fields = {
        "name": "Broken",
        "enabled": "on",
        **step_fields(0, "https://a.example/", "{{ trigger.body."),
    }
    answer = await submit_editor(signed_in, "/workflows/new", fields)
    assert answer.status_code == 400
    page = html(answer.text)
    error = page.select_one("#steps-0-config-body-error")
    assert error is not None and error.text.strip()
    assert error.find_previous("textarea")["name"] == "steps-0-body"
    assert page.select_one("#steps-0-body").text == "{{ trigger.body."
    dashboard = html((await signed_in.get("/")).text)
    assert dashboard.select(".workflow-row") == []


async def test_workflow_toggle_and_delete(signed_in: AsyncTestClient) -> None:
    client = signed_in
    detail_path = await create_via_form(client, "https://a.example/")
    token = csrf_token((await client.get(detail_path)).text)

    await client.post(f"{detail_path}/toggle", data={"_csrf_token": token})
    assert (
        html((await client.get(detail_path)).text)
        .select_one("#workflow-state")
        .text.startswith("Off")
    )
    await client.post(f"{detail_path}/toggle", data={"_csrf_token": token})
    assert html((await client.get(detail_path)).text).select_one("#workflow-state").text == "On"

    deleted = await client.post(
        f"{detail_path}/delete", data={"_csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code in (302, 303)
    assert (await client.get(detail_path)).status_code == 404
    assert html((await client.get("/")).text).select(".workflow-row") == []


async def test_workflow_form_post_without_csrf_token_is_refused(signed_in: AsyncTestClient) -> None:
    fields = {
        "name": "No token",
        "enabled": "on",
        "action": "save",
        **step_fields(0, "https://a.example/"),
    }
    answer = await signed_in.post("/workflows/new", data=fields, follow_redirects=False)
    assert answer.status_code == 403
    assert html((await signed_in.get("/")).text).select(".workflow-row") == []


async def test_another_persons_workflow_page_is_not_found(client: AsyncTestClient) -> None:
    await sign_in_browser_session(client, "erin@example.com", PASSWORD)
    detail_path = await create_via_form(client, "https://a.example/")
    token = csrf_token((await client.get("/")).text)
    await client.post("/signout", data={"_csrf_token": token})
    await sign_in_browser_session(client, "frank@example.com", PASSWORD)
    assert (await client.get(detail_path)).status_code == 404
    assert (await client.get(f"{detail_path}/edit")).status_code == 404


@pytest.mark.parametrize("path", ["/", "/workflows/new", "/workflows/1", "/workflows/1/edit"])
async def test_pages_redirect_to_signin_when_signed_out(client: AsyncTestClient, path: str) -> None:
    answer = await client.get(path, follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith("/signin")


async def test_workflow_editor_stale_step_action_reshows_without_saving(
    signed_in: AsyncTestClient,
) -> None:
    fields = {"name": "Stale", "enabled": "on", **step_fields(0, "https://a.example/")}
    answer = await submit_editor(signed_in, "/workflows/new", fields, action="remove_step:5")
    assert answer.status_code == 200
    assert urls_in_editor(html(answer.text)) == ["https://a.example/"]
    assert html((await signed_in.get("/")).text).select(".workflow-row") == []
