"""After a redirect the first address has the request: failures there are not retried blindly.

A destination that answers 303 (or 307/308) and whose target then answers 500 may have
acted on the POST already; only steps safe to send twice are tried again. Failure
messages end in a full stop before the "not sent again" advice, and a URL that renders
badly never shows its password in the error.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.integrations.base import ActionContext
from app.integrations.outbound_client import build_outbound_client
from app.integrations.slack_message import SlackMessageAction, SlackMessageConfig
from tests.integrations.conftest import LOOPBACK_ALLOWED, LocalServer, closed_port, http

REDIRECTED = "came from the address the destination redirected to"


def redirect(server: LocalServer, code: int, to: str) -> str:
    return server.url(f"/redirect?code={code}&to={to}")


@pytest.mark.parametrize("code", [303, 307, 308])
async def test_a_post_redirected_to_a_failing_address_is_not_sent_again(
    local_server: LocalServer, context: ActionContext, code: int
) -> None:
    result = await http(context, url=redirect(local_server, code, "/status/500"), body="{}")

    assert result.outcome == "failed" and not result.retryable
    assert REDIRECTED in (result.error or "") and "did not send it again" in (result.error or "")
    assert [r.path.split("?")[0] for r in local_server.received] == ["/redirect", "/status/500"]


@pytest.mark.parametrize(
    "config",
    [{"method": "GET"}, {"method": "POST", "repeat_safe": True, "body": "{}"}],
    ids=["idempotent-method", "marked-safe"],
)
async def test_a_step_safe_to_repeat_is_retried_after_a_redirect(
    local_server: LocalServer, context: ActionContext, config: dict[str, Any]
) -> None:
    result = await http(context, url=redirect(local_server, 307, "/status/503"), **config)

    assert result.outcome == "failed" and result.retryable
    assert "did not send it again" not in (result.error or "")


async def test_a_chat_message_redirected_to_a_failing_address_is_not_posted_again(
    local_server: LocalServer, context: ActionContext
) -> None:
    url = redirect(local_server, 308, "/status/502")
    config = SlackMessageConfig.model_validate({"webhook_url": url, "text": "Paid"})

    result = await SlackMessageAction().execute(config, context)

    assert result.outcome == "failed" and not result.retryable
    assert "did not send it again" in (result.error or "")


async def test_failure_and_advice_read_as_two_sentences(
    local_server: LocalServer, context: ActionContext
) -> None:
    target = f"http://127.0.0.1:{closed_port()}/gone"
    result = await http(context, url=redirect(local_server, 307, target), body="{}")

    error = result.error or ""
    assert "did not send it again" in error
    assert re.search(r"[^.!?] The request may already", error) is None, error


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("http://alice:LiteralPw99@{{ trigger.body.host }}/x", {"host": ""}),
        ("{{ trigger.body.u }}", {"u": "ftp://bob:LiteralPw99@127.0.0.1/x"}),
        ("http://alice:{{ trigger.body.pw }}@127.0.0.1:9/x", {"pw": "a/b?LiteralPw99#d@e"}),
    ],
    ids=["no-host", "wrong-scheme", "password-with-url-characters"],
)
async def test_a_url_that_renders_badly_never_shows_its_password(
    url: str, body: dict[str, str]
) -> None:
    async with build_outbound_client(LOOPBACK_ALLOWED) as client:
        ctx = ActionContext({"trigger": {"body": body}}, client, LOOPBACK_ALLOWED, "warn")
        result = await http(ctx, method="GET", url=url)

    assert result.outcome == "failed"
    assert "LiteralPw99" not in (result.error or ""), result.error
    assert "[hidden]" in (result.error or "")
