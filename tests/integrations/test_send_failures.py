"""A request that may have reached the destination is not sent again unless it is safe.

When the connection breaks or times out AFTER the request went out, the destination may
already have acted on it. Hookline then retries only steps that are safe to repeat
(GET/PUT/DELETE, an Idempotency-Key header, or "safe to send twice"); a plain POST or a
chat message fails with an explanation instead of being sent twice. A failure before
anything was sent (connection refused) is always retried.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.integrations.base import ActionContext
from app.integrations.slack_message import SlackMessageAction, SlackMessageConfig
from tests.integrations.conftest import LocalServer, closed_port, http


@pytest.mark.parametrize(
    ("config", "retried"),
    [
        ({"method": "POST"}, False),
        ({"method": "POST", "repeat_safe": True}, True),
        ({"method": "POST", "headers": {"Idempotency-Key": "order-7"}}, True),
        ({"method": "PUT"}, True),
        ({"method": "GET"}, True),
    ],
    ids=["post", "post-marked-safe", "post-with-idempotency-key", "put", "get"],
)
async def test_a_dropped_connection_after_sending_retries_only_safe_steps(
    local_server: LocalServer, context: ActionContext, config: dict[str, Any], retried: bool
) -> None:
    result = await http(context, url=local_server.url("/hangup"), body="{}", **config)

    assert result.outcome == "failed"
    assert len(local_server.received) == 1  # it did arrive: that is why a resend is risky
    assert result.retryable is retried
    assert ("did not send it again" in (result.error or "")) is not retried


async def test_a_refused_connection_is_retried_even_for_a_post(context: ActionContext) -> None:
    result = await http(context, method="POST", url=f"http://127.0.0.1:{closed_port()}/in")

    assert result.outcome == "failed" and result.retryable
    assert "did not send it again" not in (result.error or "")


async def test_a_slack_message_whose_answer_was_lost_is_not_posted_twice(
    local_server: LocalServer, context: ActionContext
) -> None:
    config = SlackMessageConfig.model_validate(
        {"webhook_url": local_server.url("/hangup/T000/B000/secret"), "text": "Paid"}
    )
    result = await SlackMessageAction().execute(config, context)

    assert result.outcome == "failed" and not result.retryable
    assert "did not send it again" in (result.error or "")
    assert len(local_server.received) == 1
