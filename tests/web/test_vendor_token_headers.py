"""Vendor credential headers (any name with token, key, auth, cookie...) are sealed at rest,
masked in the API and the editor, hidden on the run page, and still sent for real."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from app.store.sealing import is_secret_key
from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.support.stored_rows import stored_rows
from tests.web.editor_support import harvest, html, opened_steps, press, signed_in_with_token
from tests.worker.conftest import BASE, create_workflow, http_step

VENDOR_HEADERS = {
    "X-Custom-Token": "custom-value-1111aaaa",
    "X-Shopify-Access-Token": "shpat_value-2222bbbb",
    "PRIVATE-TOKEN": "glpat-value-3333cccc",
    "X-Postmark-Server-Token": "postmark-value-4444dddd",
}


def test_one_rule_tells_secret_headers_from_config_fields() -> None:
    assert all(is_secret_key(name) for name in VENDOR_HEADERS)
    assert is_secret_key("private-token") and is_secret_key("Set-Cookie")
    assert is_secret_key("authorization") and is_secret_key("token")
    # Lowercase config fields are secret only by their exact names.
    assert not any(is_secret_key(key) for key in ("auth", "api_key_header", "content_type"))
    assert not is_secret_key("Content-Type") and not is_secret_key("X-Request-Id")


async def test_vendor_token_headers_are_sealed_masked_and_sent(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    sink: LocalServer,
) -> None:
    step = http_step(sink.url("/in"), headers={**VENDOR_HEADERS, "X-Plain": "visible"})
    workflow = await create_workflow(client, api_user, [step])
    shown = workflow["steps"][0]["config"]["headers"]
    assert shown["X-Plain"] == "visible"
    for name, value in VENDOR_HEADERS.items():
        assert shown[name] == "••••" + value[-4:], name

    await client.post(workflow["hook_url"].removeprefix(BASE), json={"a": 1})
    await wait_for(lambda: sink.received)
    for name, value in VENDOR_HEADERS.items():
        assert sink.received[0].header(name) == value
    rows = await stored_rows(client)
    assert not any(value in row for value in VENDOR_HEADERS.values() for row in rows)
    runs = await client.get(f"/api/v1/workflows/{workflow['id']}/runs", headers=api_user.headers)
    assert not any(value in runs.text for value in VENDOR_HEADERS.values())


async def test_editor_masks_vendor_token_headers_and_keeps_them_on_save(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    api = await signed_in_with_token(client, "builder@example.com")
    lines = "\n".join(f"{name}: {value}" for name, value in VENDOR_HEADERS.items())
    step = {"type": "http_request", "config": {"url": "https://api.example.com/in"}}
    created = await client.post(
        "/api/v1/workflows", json={"name": "Vendors", "steps": [step]}, headers=api
    )
    assert created.status_code == 201, created.text
    edit_path = f"/workflows/{created.json()['id']}/edit"
    fields = [
        (name, lines if name.endswith("headers") else value)
        for name, value in harvest(html((await client.get(edit_path)).text))
    ]
    saved = await press(client, edit_path, fields)
    assert saved.status_code in (302, 303), saved.text

    page = (await client.get(edit_path)).text
    assert not any(value in page for value in VENDOR_HEADERS.values())
    resaved = await press(client, edit_path, harvest(html(page)))  # masked values kept
    assert resaved.status_code in (302, 303), resaved.text
    opened = (await opened_steps(client, created.json()["id"]))[0]["headers"]
    assert opened == VENDOR_HEADERS
    rows = await stored_rows(client)
    assert not any(value in row for value in VENDOR_HEADERS.values() for row in rows)
