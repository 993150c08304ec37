"""The "Send an HTTP request" action end to end against a real loopback server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from app.integrations.base import ActionContext, ActionResult
from app.integrations.http_request import HttpRequestAction, HttpRequestConfig
from app.integrations.outbound_client import OutboundPolicy, build_outbound_client
from app.workflows.exact_json import load_exact_json
from tests.integrations.conftest import LOOPBACK_ALLOWED, LocalServer

ACTION = HttpRequestAction()
TRIGGER = {
    "trigger": {
        "body": {
            "repository": {"full_name": 'acme/"rocket"\nlauncher'},
            "amount": Decimal("10.10"),
            "id": 7615917337495251231,
            "tags": ["a", "b"],
        }
    }
}


@pytest.fixture
async def context() -> AsyncIterator[ActionContext]:
    async with build_outbound_client(LOOPBACK_ALLOWED) as client:
        yield ActionContext(TRIGGER, client, LOOPBACK_ALLOWED, "warn")


async def run(ctx: ActionContext, **config: Any) -> ActionResult:
    return await ACTION.execute(HttpRequestConfig.model_validate(config), ctx)


async def test_json_body_delivers_mapped_values_exactly(
    local_server: LocalServer, context: ActionContext
) -> None:
    body = (
        '{"repo": "{{ trigger.body.repository.full_name }}", "amount": "{{ trigger.body.amount }}",'
        ' "id": "{{ trigger.body.id }}", "tags": "{{ trigger.body.tags }}"}'
    )

    result = await run(context, url=local_server.url("/in"), body=body)

    assert result.outcome == "succeeded", result.error
    [received] = local_server.received
    assert received.header("Content-Type") == "application/json"
    assert b'"amount": 10.10' in received.body
    assert load_exact_json(received.body) == {
        "repo": 'acme/"rocket"\nlauncher',
        "amount": Decimal("10.10"),
        "id": 7615917337495251231,
        "tags": ["a", "b"],
    }
    answer = result.output["response"]
    assert (answer["status"], answer["body"]) == (200, {"ok": True})
    assert answer["headers"]["content-type"] == "application/json"
    assert result.warnings == ()


async def test_structured_body_keeps_exact_decimals(
    local_server: LocalServer, context: ActionContext
) -> None:
    body = {"total": "{{ trigger.body.amount }}", "note": "id {{ trigger.body.id }}"}

    result = await run(context, method="PUT", url=local_server.url("/in"), body=body)

    assert result.outcome == "succeeded"
    [received] = local_server.received
    assert received.method == "PUT"
    assert received.body == b'{"total": 10.10, "note": "id 7615917337495251231"}'


async def test_templated_url_and_headers_are_rendered(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(
        context,
        method="GET",
        url=local_server.url("/in?id={{ trigger.body.id }}"),
        headers={"X-Amount": "{{ trigger.body.amount }}", "Authorization": "Bearer s3cret"},
    )

    [received] = local_server.received
    assert received.path == "/in?id=7615917337495251231"
    assert received.header("X-Amount") == "10.10"
    assert received.header("Authorization") == "Bearer s3cret"
    assert ("Authorization", "[hidden]") in result.request["headers"]


async def test_response_json_is_exposed_exactly_to_later_steps(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(context, method="GET", url=local_server.url("/exact"))

    body = result.output["response"]["body"]
    assert body == {"id": 7615917337495251231, "price": Decimal("10.0"), "name": "café"}
    assert str(body["price"]) == "10.0"
    assert result.response["body"] == '{"id": 7615917337495251231, "price": 10.0, "name": "café"}'


async def test_non_2xx_answer_fails_the_step(
    local_server: LocalServer, context: ActionContext
) -> None:
    not_found = await run(context, url=local_server.url("/status/404"), body="hi")
    busy = await run(context, url=local_server.url("/status/429?retry_after=7"))

    assert not_found.outcome == "failed"
    assert not_found.error == "The destination answered 404 Not Found"
    assert not_found.response["status"] == 404
    assert not_found.output["response"]["body"] == "status 404"
    assert not not_found.retryable
    assert (busy.retryable, busy.retry_after_seconds) == (True, 7.0)


async def test_missing_value_warns_and_still_sends(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(
        context, url=local_server.url("/in"), body='{"x": "{{ trigger.body.nope }}"}'
    )

    assert result.outcome == "succeeded"
    assert len(local_server.received) == 1
    [warning] = result.warnings
    assert warning.startswith("Body: trigger.body.nope is missing")
    assert "repository" in warning


async def test_strict_templates_fail_before_sending(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(
        context, url=local_server.url("/in/{{ trigger.body.nope }}"), strict_templates=True
    )

    assert result.outcome == "failed"
    assert result.error.startswith("URL: trigger.body.nope is missing")
    assert result.request is None
    assert local_server.received == []


async def test_header_with_line_break_fails_before_sending(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(
        context,
        url=local_server.url("/in"),
        headers={"X-Repo": "{{ trigger.body.repository.full_name }}"},
    )

    assert result.outcome == "failed"
    assert result.error == "Header X-Repo: the value contains a line break, which headers cannot"
    assert local_server.received == []


async def test_blocked_destination_fails_with_plain_message(local_server: LocalServer) -> None:
    policy = OutboundPolicy()
    async with build_outbound_client(policy) as client:
        ctx = ActionContext(TRIGGER, client, policy, "warn")
        result = await run(ctx, url=local_server.url("/in"), body="hi")

    assert result.outcome == "failed"
    assert result.error.startswith("Hookline does not call private or local addresses")
    assert result.request["url"] == local_server.url("/in")
    assert local_server.received == []


async def test_timeout_seconds_shortens_the_wait(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(context, method="GET", url=local_server.url("/slow"), timeout_seconds=0.3)

    assert result.outcome == "failed"
    assert result.error == "The destination did not answer within 0.3 seconds."
    assert result.retryable


async def test_text_body_is_sent_as_plain_text(
    local_server: LocalServer, context: ActionContext
) -> None:
    await run(
        context,
        url=local_server.url("/in"),
        body="Stars for {{ trigger.body.repository.full_name }}",
    )

    [received] = local_server.received
    assert received.header("Content-Type") == "text/plain; charset=utf-8"
    assert received.body == b'Stars for acme/"rocket"\nlauncher'


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"url": "ftp://example.com/x"}, "must start with http:// or https://"),
        ({"url": "https:///path"}, "must include a host name"),
        ({"url": "https://example.com", "headers": {"Bad Name": "x"}}, "not a valid header name"),
        ({"url": "https://example.com", "method": "TRACE"}, "method"),
    ],
)
def test_config_rejects_unusable_requests(config: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        HttpRequestConfig.model_validate(config)


def test_config_accepts_templated_addresses() -> None:
    for url in ("https://{{ trigger.body.host }}/hook", "{{ trigger.body.callback_url }}"):
        assert HttpRequestConfig(url=url).url == url


def test_validate_templates_names_the_broken_field() -> None:
    config = HttpRequestConfig(
        url="https://example.com/{{ trigger.body.id",
        headers={"X-Ok": "{{ trigger.body.id }}", "X-Bad": "{% if %}"},
        body={"fine": "{{ trigger.body.id }}", "broken": "{{ }}"},
    )

    problems = ACTION.validate_templates(config)

    assert set(problems) == {"url", "headers.X-Bad", "body"}
    assert all(message for message in problems.values())


async def test_output_is_json_serialisable_for_display(
    local_server: LocalServer, context: ActionContext
) -> None:
    result = await run(context, url=local_server.url("/in"), body={"a": "{{ trigger.body.id }}"})

    json.dumps(result.request)
    json.dumps(result.response)
