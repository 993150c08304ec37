"""Posting a JSON message to a chat service's incoming webhook (Slack, Discord).

The webhook URL is itself the secret (it carries the token), so what the run page
shows is only its scheme and host. Answers are summarised like any HTTP request:
later steps see `steps[i].response` (`status`, `headers`, `body`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from app.integrations.base import ActionContext, ActionResult
from app.integrations.outbound_client import BlockedDestination, OutboundError, send_request
from app.integrations.repeat_safety import not_sent_again, settle_after_redirect
from app.integrations.request_checks import describe_url_problem
from app.integrations.response_summary import display_request, summarize_response
from app.integrations.step_results import failed
from app.workflows.exact_json import dump_exact_json

MAX_ERROR_DETAIL = 200


def check_webhook_url(url: str) -> str:
    """Validate a webhook address (no templates: it is a fixed secret)."""
    url = url.strip()
    problem = describe_url_problem(url, templated=False)
    if problem is not None:
        raise ValueError(problem)
    return url


def redacted(url: str) -> str:
    """The webhook URL with its secret path hidden, for display."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/[hidden]"


async def post_json(
    ctx: ActionContext,
    *,
    service: str,
    url: str,
    payload: dict[str, Any],
    warnings: list[str],
    started: float,
) -> ActionResult:
    """Send `payload` as JSON; a non-2xx answer fails the step quoting the service's reason."""
    body = dump_exact_json(payload)
    headers = [("Content-Type", "application/json")]
    shown = display_request("POST", redacted(url), headers, body)
    try:
        response = await send_request(
            ctx.client, ctx.policy, method="POST", url=url, headers=headers, content=body.encode()
        )
    except BlockedDestination as exc:
        return replace(failed(exc.message, started, warnings), request=shown)
    except OutboundError as exc:
        if exc.maybe_delivered:  # a chat message sent twice is posted twice
            message = not_sent_again(exc.message)
            return replace(failed(message, started, warnings), request=shown)
        return replace(failed(exc.message, started, warnings), request=shown, retryable=True)
    result = summarize_response(response, shown, tuple(warnings))
    if result.response is not None:  # a redirect's target is as secret as the URL itself
        final_url = redacted(str(result.response.get("final_url") or url))
        result = replace(result, response={**result.response, "final_url": final_url})
    if result.outcome == "failed":
        detail = response.body[:MAX_ERROR_DETAIL].decode("utf-8", errors="replace").strip()
        reason = f"{service} answered {response.status}" + (f": {detail}" if detail else "")
        result = replace(result, error=reason)
    return settle_after_redirect(result, redirects=response.redirects, safe=False)
