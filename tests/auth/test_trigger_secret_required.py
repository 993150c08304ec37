"""A signature preset saved without its secret is refused with a plain message.

Such a workflow would reject every request; the save is refused instead, in the API
and in the page editor (next to the secret field). Pure validation: SQLite only.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.support.page_session import csrf_token, sign_in_browser_session

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
STEP = {"type": "http_request", "config": {"method": "POST", "url": "https://example.com/in"}}


@pytest.mark.parametrize("secret", [None, "", "  \n  "])
async def test_api_refuses_a_signature_preset_without_its_secret(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    secret: str | None,
) -> None:
    trigger = {"signature": {"preset": "stripe", "secret": secret}}
    answer = await client.post(
        "/api/v1/workflows",
        json={"name": "Payments", "trigger": trigger, "steps": [STEP]},
        headers=api_user.headers,
    )
    assert answer.status_code == 400
    problem = answer.json()["fields"]["trigger.signature.secret"]
    assert "Stripe signature check needs the signing secret" in problem
    listed = await client.get("/api/v1/workflows", headers=api_user.headers)
    assert listed.json() == []


async def test_api_accepts_the_preset_once_the_secret_is_there(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    trigger = {"signature": {"preset": "twilio", "secret": ""}}
    body = {"name": "Texts", "trigger": trigger, "steps": [STEP]}
    refused = await client.post("/api/v1/workflows", json=body, headers=api_user.headers)
    assert "needs the Auth Token" in refused.json()["fields"]["trigger.signature.secret"]
    trigger["signature"]["secret"] = "twilio-auth-token-123456"
    saved = await client.post("/api/v1/workflows", json=body, headers=api_user.headers)
    assert saved.status_code == 201, saved.text


async def test_editor_shows_the_missing_secret_next_to_the_secret_field(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    await sign_in_browser_session(client, "erin@example.com", "correct horse battery")
    editor = await client.get("/workflows/new")
    form = {
        "_csrf_token": csrf_token(editor.text),
        "name": "Signed pushes",
        "trigger-methods": "POST",
        "trigger-signature-preset": "github",
        "trigger-signature-secret": "",
        "trigger-response-status": "202",
        "trigger-response-content_type": "application/json",
        "action": "save",
    }
    answer = await client.post("/workflows/new", data=form)
    assert answer.status_code == 400
    page = BeautifulSoup(answer.text, "html.parser")
    error = page.select_one("#trigger-signature-secret-error")
    assert error is not None and "GitHub signature check needs" in error.text
