"""The pages around a webhook URL: trigger settings in the editor, request history, one event,
rotating the URL. Driven like a browser (session, CSRF) and asserted on parsed HTML."""

from __future__ import annotations

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from tests.support.page_session import csrf_token, sign_in_browser_session
from tests.web.hooks_support import BASE, github_headers

SECRET = "page-secret-0123456789"


def _html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


async def _create_signed_workflow(client: AsyncTestClient) -> tuple[str, str]:  # type: ignore[type-arg]
    """Sign up, save a workflow with the GitHub preset through the editor; (page, hook path)."""
    await sign_in_browser_session(client, "dora@example.com", "correct horse battery")
    editor = await client.get("/workflows/new")
    assert _html(editor.text).select_one("#trigger-signature-preset") is not None
    form = {
        "_csrf_token": csrf_token(editor.text),
        "name": "Signed pushes",
        "enabled": "on",
        "trigger-methods": "POST",
        "trigger-signature-preset": "github",
        "trigger-signature-secret": SECRET,
        "trigger-response-status": "200",
        "trigger-response-content_type": "text/plain",
        "trigger-response-body": "thanks",
        "trigger-handshake-preset": "none",
        "action": "save",
    }
    created = await client.post("/workflows/new", data=form, follow_redirects=False)
    assert created.status_code in (302, 303), created.text
    page = created.headers["location"]
    hook_url = _html((await client.get(page)).text).select_one("#hook-url")["value"]
    return page, str(hook_url).removeprefix(BASE)


def _signed(body: bytes) -> dict[str, str]:
    return github_headers(SECRET, body)


async def test_editor_saves_preset_and_secret_never_shows_it_and_blank_keeps_it(
    client: AsyncTestClient,
) -> None:
    page, hook = await _create_signed_workflow(client)
    body = b'{"n": 1}'
    signed = await client.post(hook, content=body, headers=_signed(body))
    assert (signed.status_code, signed.text) == (200, "thanks")
    assert (await client.post(hook, content=body)).status_code == 401

    editor = await client.get(page + "/edit")
    assert SECRET not in editor.text
    html = _html(editor.text)
    assert html.select_one("#trigger-signature-secret").text == ""
    assert html.select_one("#secret-saved") is not None
    assert html.select_one("#trigger-signature-preset option[selected]")["value"] == "github"
    resubmit = {
        "_csrf_token": csrf_token(editor.text),
        "name": "Signed pushes, renamed",
        "enabled": "on",
        "trigger-methods": "POST",
        "trigger-signature-preset": "github",
        "trigger-signature-secret": "",
        "trigger-response-status": "202",
        "trigger-response-content_type": "application/json",
        "action": "save",
    }
    saved = await client.post(page + "/edit", data=resubmit, follow_redirects=False)
    assert saved.status_code in (302, 303), saved.text
    assert (await client.post(hook, content=body, headers=_signed(body))).status_code == 202


async def test_editor_shows_trigger_problems_next_to_the_form(client: AsyncTestClient) -> None:
    await sign_in_browser_session(client, "erin@example.com", "correct horse battery")
    editor = await client.get("/workflows/new")
    form = {
        "_csrf_token": csrf_token(editor.text),
        "name": "Bad trigger",
        "trigger-signature-preset": "hmac",
        "trigger-response-status": "abc",
        "action": "save",
    }
    answer = await client.post("/workflows/new", data=form)
    assert answer.status_code == 400
    problems = [p.text for p in _html(answer.text).select(".field-error")]
    assert any("status code" in p for p in problems)


async def test_history_page_lists_outcomes_and_pages_with_before(client: AsyncTestClient) -> None:
    page, hook = await _create_signed_workflow(client)
    body = b'{"n": 2}'
    for _ in range(52):
        await client.post(hook, content=body, headers=_signed(body))
    await client.post(hook, content=b'{"forged": true}', headers=_signed(body))

    first = _html((await client.get(page + "/events")).text)
    rows = first.select("#events tbody tr")
    assert len(rows) == 50
    assert rows[0]["data-outcome"] == "rejected"
    assert "does not match" in rows[0].select_one(".reason").text
    older = first.select_one("#older-events")["href"]
    second = _html((await client.get(older)).text)
    assert len(second.select("#events tbody tr")) == 3
    assert second.select_one("#older-events") is None
    detail = _html((await client.get(page)).text)
    assert detail.select_one("#all-events")["href"] == page + "/events"


async def test_event_page_escapes_the_raw_body_and_links_download(client: AsyncTestClient) -> None:
    _page, hook = await _create_signed_workflow(client)
    body = b'{"html": "<script>alert(1)</script>"}'
    answer = await client.post(hook + "?q=%3Cb%3E", content=body, headers=_signed(body))
    assert answer.status_code == 200
    event_id = answer.headers["x-hookline-event-id"]

    event_page = await client.get(f"/events/{event_id}")
    html = _html(event_page.text)
    assert html.select("script") == [] or all("alert" not in s.text for s in html.select("script"))
    assert html.select_one("#raw-body").text == body.decode()
    assert html.select_one("#event-query td").text == "<b>"
    download = html.select_one(f'a[href="/events/{event_id}/body"]')
    assert download is not None
    assert (await client.get(f"/events/{event_id}/body")).content == body


async def test_rotate_url_button_retires_the_old_url(client: AsyncTestClient) -> None:
    page, hook = await _create_signed_workflow(client)
    detail = await client.get(page)
    rotated = await client.post(
        page + "/rotate-url", data={"_csrf_token": csrf_token(detail.text)}, follow_redirects=False
    )
    assert rotated.status_code in (302, 303)
    new_hook = str(_html((await client.get(page)).text).select_one("#hook-url")["value"])
    assert new_hook.removeprefix(BASE) != hook
    assert (await client.post(hook, content=b"{}")).status_code == 410


async def test_event_page_shows_a_large_body_cut_and_downloads_it_whole(
    client: AsyncTestClient,
) -> None:
    _page, hook = await _create_signed_workflow(client)
    body = b'{"blob": "' + b"x" * 200_000 + b'"}'
    answer = await client.post(hook, content=body, headers=_signed(body))
    event_id = answer.headers["x-hookline-event-id"]
    event_page = await client.get(f"/events/{event_id}")
    assert len(event_page.content) < 150_000
    html = _html(event_page.text)
    assert len(html.select_one("#raw-body").text) == 64 * 1024
    assert "first 64 KiB" in html.select_one("#body-cut").text
    assert (await client.get(f"/events/{event_id}/body")).content == body
