"""Whether a step may run again when a crash leaves its outcome unknown.

A worker that dies mid-step may or may not have sent its request. Steps with no side
effects, idempotent HTTP methods, requests carrying an Idempotency-Key, and steps the
user marked "safe to send twice" are repeated; anything else is reported as an unknown
outcome instead of risking a double charge or a duplicate message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
