"""The delivery id that makes a repeated request a duplicate rather than a second event.

The user's own rule (a header, or a dotted path into the parsed body) wins; when
it finds nothing, the signature preset's known delivery id is used:
GitHub `X-GitHub-Delivery`, Stripe's event id (`evt_...` in the body), Standard
Webhooks `webhook-id` / `svix-id`, Slack's `event_id`, Shopify's
`X-Shopify-Webhook-Id` and Twilio's `I-Twilio-Idempotency-Token`. Keys longer than
MAX_KEY_LENGTH are replaced by their sha256 so they fit the store's unique index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from app.inbound.body_parsing import ParsedBody
from app.inbound.request import InboundRequest
from app.inbound.trigger_config import TriggerConfig
from app.workflows.exact_json import dump_exact_json

MAX_KEY_LENGTH = 200


def dedupe_key(config: TriggerConfig, request: InboundRequest, parsed: ParsedBody) -> str | None:
    """The request's delivery id, or None when nothing identifies it."""
    key = _user_key(config, request, parsed) or _preset_key(config, request, parsed)
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _user_key(config: TriggerConfig, request: InboundRequest, parsed: ParsedBody) -> str | None:
    if config.dedupe.header:
        value = request.header(config.dedupe.header)
        if value and value.strip():
            return value.strip()
    if config.dedupe.body_path:
        return _as_key(find_in_body(parsed.value, config.dedupe.body_path))
    return None


def find_in_body(value: Any, dotted_path: str) -> Any:
    """Follow `data.items.0.id` through dicts and lists; None when the path is absent."""
    node = value
    for part in dotted_path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _as_key(value: Any) -> str | None:
    """A scalar body value as key text (`10.0` stays `10.0`); None for empty or missing."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | int | Decimal):
        return dump_exact_json(value)
    return str(value)


def _body_field(parsed: ParsedBody, name: str) -> str | None:
    return _as_key(parsed.value.get(name)) if isinstance(parsed.value, dict) else None


def _stripe_event_id(request: InboundRequest, parsed: ParsedBody) -> str | None:
    event_id = _body_field(parsed, "id")
    return event_id if event_id and event_id.startswith("evt_") else None


PresetKey = Callable[[InboundRequest, ParsedBody], str | None]

_PRESET_KEYS: dict[str, PresetKey] = {
    "github": lambda request, parsed: request.header("X-GitHub-Delivery"),
    "stripe": _stripe_event_id,
    "standard_webhooks": lambda request, parsed: (
        request.header("webhook-id") or request.header("svix-id")
    ),
    "slack": lambda request, parsed: _body_field(parsed, "event_id"),
    "shopify": lambda request, parsed: request.header("X-Shopify-Webhook-Id"),
    "twilio": lambda request, parsed: request.header("I-Twilio-Idempotency-Token"),
}


def _preset_key(config: TriggerConfig, request: InboundRequest, parsed: ParsedBody) -> str | None:
    find = _PRESET_KEYS.get(config.signature.preset)
    key = find(request, parsed) if find else None
    return key.strip() if key else None
