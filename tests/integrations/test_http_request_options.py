"""HTTP request extras against a real server: query, form/raw/JSON bodies, auth presets."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import ValidationError

from app.integrations.base import ActionContext, ActionResult
from app.integrations.http_request import HttpRequestAction, HttpRequestConfig
from app.integrations.outbound_client import build_outbound_client
from tests.integrations.conftest import LOOPBACK_ALLOWED, LocalServer

DATA = {"trigger": {"body": {"email": "ada+test@example.com", "name": "Ada & co", "n": 7}}}


@pytest.fixture
async def context() -> AsyncIterator[ActionContext]:
    async with build_outbound_client(LOOPBACK_ALLOWED) as client:
        yield ActionContext(DATA, client, LOOPBACK_ALLOWED, "warn")


async def run(ctx: ActionContext, **config: Any) -> ActionResult:
    return await HttpRequestAction().execute(HttpRequestConfig.model_validate(config), ctx)


async def test_query_parameters_are_encoded_and_appended(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(
        context,
        method="GET",
        url=local_server.url("/search?page=2"),
        query={"email": "{{ trigger.body.email }}", "q": "{{ trigger.body.name }}"},
    )

    assert result.outcome == "succeeded", result.error
    [received] = local_server.received
    assert parse_qsl(urlsplit(received.path).query) == [
        ("page", "2"),
        ("email", "ada+test@example.com"),
        ("q", "Ada & co"),
    ]


async def test_form_body_is_sent_url_encoded(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(
        context,
        url=local_server.url("/form"),
        body_mode="form",
        body={"name": "{{ trigger.body.name }}", "count": "{{ trigger.body.n }}"},
    )

    assert result.outcome == "succeeded", result.error
    [received] = local_server.received
    assert received.header("Content-Type") == "application/x-www-form-urlencoded"
    assert parse_qsl(received.body.decode()) == [("name", "Ada & co"), ("count", "7")]


async def test_raw_body_is_sent_as_written_even_if_it_looks_like_json(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(
        context,
        url=local_server.url("/raw"),
        body_mode="raw",
        body="{not json {{ trigger.body.n }}",
    )

    assert result.outcome == "succeeded", result.error
    [received] = local_server.received
    assert received.body == b"{not json 7"
    assert received.header("Content-Type") == "text/plain; charset=utf-8"


async def test_json_mode_escapes_inserted_text(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(
        context,
        url=local_server.url("/json"),
        body_mode="json",
        body='{"who": "{{ trigger.body.name }}"}',
    )

    assert result.outcome == "succeeded", result.error
    assert json.loads(local_server.received[0].body) == {"who": "Ada & co"}


@pytest.mark.parametrize(
    ("auth", "header", "expected"),
    [
        ({"auth": "bearer", "token": "tok-123456789"}, "Authorization", "Bearer tok-123456789"),
        (
            {"auth": "basic", "username": "ada", "password": "s3cret:pw"},
            "Authorization",
            "Basic " + base64.b64encode(b"ada:s3cret:pw").decode(),
        ),
        (
            {"auth": "api_key", "api_key": "key-987", "api_key_header": "X-Shop-Auth"},
            "X-Shop-Auth",
            "key-987",
        ),
    ],
)
async def test_auth_preset_sends_credentials_but_run_page_hides_them(
    local_server: LocalServer,
    context: ActionContext,
    auth: dict[str, str],
    header: str,
    expected: str,
) -> None:
    result = await run(context, method="GET", url=local_server.url("/private"), **auth)

    assert result.outcome == "succeeded", result.error
    assert local_server.received[0].header(header) == expected
    shown = dict(result.request["headers"])
    assert shown[header] == "[hidden]"
    assert expected not in json.dumps(result.request)


async def test_auth_preset_replaces_a_hand_written_authorization_header(
    local_server: LocalServer, context: ActionContext
) -> None:
    await run(
        context,
        method="GET",
        url=local_server.url("/"),
        headers={"Authorization": "Bearer old"},
        auth="bearer",
        token="new-token",
    )

    assert [v for k, v in local_server.received[0].headers if k == "Authorization"] == [
        "Bearer new-token"
    ]


def test_auth_preset_without_credentials_is_refused() -> None:
    with pytest.raises(ValidationError, match="bearer authentication needs a token"):
        HttpRequestConfig(url="https://api.example.com/", auth="bearer")
