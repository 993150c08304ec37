"""Whether a step may run again when a crash leaves its outcome unknown.

A worker that dies mid-step may or may not have sent its request. Steps with no side
effects, idempotent HTTP methods, requests carrying an Idempotency-Key, and steps the
user marked "safe to send twice" are repeated; anything else is reported as an unknown
outcome instead of risking a double charge or a duplicate message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from app.integrations.base import ActionResult

SIDE_EFFECT_FREE_TYPES = frozenset({"filter", "paths", "delay", "formatter"})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def is_safe_to_repeat(step: Mapping[str, Any]) -> bool:
    config = step.get("config") or {}
    if step.get("type") in SIDE_EFFECT_FREE_TYPES or config.get("repeat_safe") is True:
        return True
    if step.get("type") != "http_request":
        return False
    if str(config.get("method", "POST")).upper() in IDEMPOTENT_METHODS:
        return True
    headers = config.get("headers") or {}
    return any(str(name).lower() == "idempotency-key" for name in headers)


NOT_SENT_AGAIN = (
    "The request may already have reached the destination, so Hookline did not send it "
    "again (this step is not marked safe to send twice). Check "
    'the destination; if nothing arrived, use "Retry from the failed step" on the run page.'
)
AFTER_REDIRECT = "This answer came from the address the destination redirected to."


def not_sent_again(reason: str) -> str:
    """`reason` (one failure's own sentence) followed by NOT_SENT_AGAIN."""
    reason = reason.rstrip()
    return f"{reason}{'' if reason.endswith(('.', '!', '?')) else '.'} {NOT_SENT_AGAIN}"


def settle_after_redirect(result: ActionResult, *, redirects: int, safe: bool) -> ActionResult:
    """A retryable failure answered after a redirect is final unless the step is safe to
    repeat: the first address answered with the redirect, so it may have acted already."""
    if not redirects or safe or result.outcome != "failed" or not result.retryable:
        return result
    reason = f"{(result.error or 'The step failed').rstrip()} {AFTER_REDIRECT}"
    return replace(result, retryable=False, error=not_sent_again(reason))
