"""Slack and Discord message steps against a real Slack/Discord-shaped webhook receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from app.integrations.base import ActionContext
from app.integrations.discord_message import DiscordMessageAction, DiscordMessageConfig
from app.integrations.outbound_client import OutboundPolicy, build_outbound_client
from app.integrations.slack_message import SlackMessageAction, SlackMessageConfig
from app.integrations.validation import validate_step
from app.workflows.definition import StepDefinition
from tests.integrations.conftest import LOOPBACK_ALLOWED
from tests.support.chat_webhooks import DISCORD_PATH, SLACK_PATH, serve_chat_webhooks
from tests.support.local_http import LocalServer

DATA = {
    "trigger": {"body": {"customer": 'Ada "the" Countess', "amount": Decimal("10.50")}},
    "steps": [],
}


@pytest.fixture
def chat() -> Iterator[LocalServer]:
    yield from serve_chat_webhooks()


@pytest.fixture
async def context() -> AsyncIterator[ActionContext]:
    async with build_outbound_client(LOOPBACK_ALLOWED) as client:
        yield ActionContext(DATA, client, LOOPBACK_ALLOWED, "warn")


async def slack(ctx: ActionContext, **config: Any):  # type: ignore[no-untyped-def]
    return await SlackMessageAction().execute(SlackMessageConfig.model_validate(config), ctx)


async def discord(ctx: ActionContext, **config: Any):  # type: ignore[no-untyped-def]
    return await DiscordMessageAction().execute(DiscordMessageConfig.model_validate(config), ctx)


async def test_slack_message_arrives_with_text_and_blocks(
    chat: LocalServer, context: ActionContext
) -> None:
    blocks = '[{"type": "section", "text": {"type": "mrkdwn", "text": "*{{ trigger.body.customer }}* paid {{ trigger.body.amount }}"}}]'

    result = await slack(
        context,
        webhook_url=chat.url(SLACK_PATH),
        text="Payment from {{ trigger.body.customer }}: {{ trigger.body.amount }}",
        blocks=blocks,
    )

    assert result.outcome == "succeeded", result.error
    [received] = chat.received
    message = json.loads(received.body)
    assert message["text"] == 'Payment from Ada "the" Countess: 10.50'
    assert message["blocks"][0]["text"]["text"] == '*Ada "the" Countess* paid 10.50'
    assert result.output["response"]["body"] == "ok"
    assert "slack-secret-token" not in json.dumps(result.request)


async def test_slack_error_answer_fails_the_step_with_slack_reason(
    chat: LocalServer, context: ActionContext
) -> None:
    result = await slack(context, webhook_url=chat.url("/services/T000/B000/revoked"), text="hello")

    assert result.outcome == "failed"
    assert result.error == "Slack answered 404: no_service"
    assert not result.retryable


async def test_slack_blocks_that_are_not_a_list_fail_before_sending(
    chat: LocalServer, context: ActionContext
) -> None:
    result = await slack(context, webhook_url=chat.url(SLACK_PATH), text="x", blocks='"oops"')

    assert result.outcome == "failed"
    assert result.error.startswith("Blocks: expected a list of blocks")
    assert chat.received == []


def test_slack_needs_text_or_blocks_and_a_web_address() -> None:
    problems = validate_step(
        StepDefinition(type="slack_message", config={"webhook_url": "hooks.slack.com/x"})
    )

    assert problems == {"config.webhook_url": "The address must start with http:// or https://."}
    with pytest.raises(ValidationError, match="Write the message text"):
        SlackMessageConfig(webhook_url="https://hooks.slack.com/services/x", text=" ")


async def test_discord_message_arrives_and_returns_the_created_message(
    chat: LocalServer, context: ActionContext
) -> None:
    result = await discord(
        context,
        webhook_url=chat.url(DISCORD_PATH),
        content="**{{ trigger.body.customer }}** paid {{ trigger.body.amount }}",
        username="Hookline",
    )

    assert result.outcome == "succeeded", result.error
    [received] = chat.received
    assert received.path == DISCORD_PATH + "?wait=true"
    assert json.loads(received.body) == {
        "content": '**Ada "the" Countess** paid 10.50',
        "username": "Hookline",
    }
    assert result.output["response"]["body"]["id"] == "1100000000000000001"


async def test_discord_message_over_2000_characters_fails_without_sending(
    chat: LocalServer, context: ActionContext
) -> None:
    result = await discord(
        context,
        webhook_url=chat.url(DISCORD_PATH),
        content="{{ trigger.body.customer }}" + "x" * 2000,
    )

    assert result.outcome == "failed"
    assert "Discord allows 2000" in result.error
    assert chat.received == []


async def test_discord_unknown_webhook_fails_with_discord_reason(
    chat: LocalServer, context: ActionContext
) -> None:
    result = await discord(context, webhook_url=chat.url("/api/webhooks/1234/old"), content="hi")

    assert result.outcome == "failed"
    assert result.error.startswith("Discord answered 404")
    assert "Unknown Webhook" in result.error


async def test_chat_webhook_on_a_private_address_is_blocked(chat: LocalServer) -> None:
    policy = OutboundPolicy()
    async with build_outbound_client(policy) as client:
        ctx = ActionContext(DATA, client, policy, "warn")
        result = await slack(ctx, webhook_url=chat.url(SLACK_PATH), text="hi")

    assert result.outcome == "failed"
    assert "does not call private or local addresses" in result.error
    assert chat.received == []
