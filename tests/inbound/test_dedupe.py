"""Dedupe keys from real vendor payloads, user-chosen headers and body paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.inbound.body_parsing import parse_body
from app.inbound.dedupe import dedupe_key
from app.inbound.request import InboundRequest
from app.inbound.trigger_config import TriggerConfig
from tests.fixtures import FIXTURES
from tests.inbound.builders import make_request

STRIPE_EVENTS = sorted((FIXTURES / "stripe").glob("*.json"))
GITHUB_EVENTS = sorted((FIXTURES / "github").glob("*.json"))


def _key(config: dict[str, Any], request: InboundRequest) -> str | None:
    trigger = TriggerConfig.model_validate(config)
    return dedupe_key(trigger, request, parse_body(request.content_type, request.body))


def _json(body: bytes | str, **headers: str) -> InboundRequest:
    return make_request(body, {"Content-Type": "application/json", **headers})


@pytest.mark.parametrize("path", STRIPE_EVENTS, ids=[p.stem for p in STRIPE_EVENTS])
def test_dedupe_key_is_the_stripe_event_id(path: Path) -> None:
    body = path.read_bytes()
    key = _key({"signature": {"preset": "stripe"}}, _json(body))
    assert key == json.loads(body)["id"]
    assert key is not None and key.startswith("evt_")


@pytest.mark.parametrize("path", GITHUB_EVENTS, ids=[p.stem for p in GITHUB_EVENTS])
def test_dedupe_key_is_the_github_delivery_header(path: Path) -> None:
    request = _json(path.read_bytes(), **{"X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab"})
    assert _key({"signature": {"preset": "github"}}, request) == "72d3162e-cc78-11e3-81ab"


@pytest.mark.parametrize(
    ("preset", "headers", "body", "expected"),
    [
        ("standard_webhooks", {"webhook-id": "msg_2"}, "{}", "msg_2"),
        ("standard_webhooks", {"svix-id": "msg_3"}, "{}", "msg_3"),
        ("slack", {}, '{"type": "event_callback", "event_id": "Ev08MFMKH6"}', "Ev08MFMKH6"),
        ("shopify", {"X-Shopify-Webhook-Id": "b54557e4-bdd9"}, "{}", "b54557e4-bdd9"),
        ("twilio", {"I-Twilio-Idempotency-Token": "tok-1"}, "{}", "tok-1"),
        ("stripe", {}, '{"id": "ch_123"}', None),
        ("github", {}, "{}", None),
        ("hmac", {"X-Request-Id": "r1"}, '{"id": "x"}', None),
        ("none", {}, '{"id": "x"}', None),
    ],
)
def test_dedupe_key_uses_what_each_preset_knows(
    preset: str, headers: dict[str, str], body: str, expected: str | None
) -> None:
    signature = {"preset": preset, "header": "X-Sig"} if preset == "hmac" else {"preset": preset}
    assert _key({"signature": signature}, _json(body, **headers)) == expected


def test_dedupe_key_prefers_the_users_header() -> None:
    config = {"signature": {"preset": "github"}, "dedupe": {"header": "X-Request-Id"}}
    request = _json("{}", **{"X-Request-Id": "req-9", "X-GitHub-Delivery": "gh-1"})
    assert _key(config, request) == "req-9"


def test_dedupe_key_falls_back_to_the_preset_when_the_users_header_is_absent() -> None:
    config = {"signature": {"preset": "github"}, "dedupe": {"header": "X-Request-Id"}}
    assert _key(config, _json("{}", **{"X-GitHub-Delivery": "gh-1"})) == "gh-1"


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("data.object.id", '{"data": {"object": {"id": "in_1"}}}', "in_1"),
        ("items.1.sku", '{"items": [{"sku": "a"}, {"sku": "b"}]}', "b"),
        ("order.id", '{"order": {"id": 7615917337495251231}}', "7615917337495251231"),
        ("amount", '{"amount": 10.0}', "10.0"),
        ("missing.path", '{"a": 1}', None),
        ("items.5", '{"items": []}', None),
        ("obj", '{"obj": {"a": 1}}', None),
    ],
)
def test_dedupe_key_follows_a_body_path(path: str, body: str, expected: str | None) -> None:
    assert _key({"dedupe": {"body_path": path}}, _json(body)) == expected


def test_dedupe_key_reads_form_body_paths() -> None:
    request = make_request("order[id]=42", {"Content-Type": "application/x-www-form-urlencoded"})
    assert _key({"dedupe": {"body_path": "order.id"}}, request) == "42"


def test_dedupe_key_hashes_keys_longer_than_200_characters() -> None:
    long_id = "x" * 500
    key = _key({"dedupe": {"header": "X-Id"}}, _json("{}", **{"X-Id": long_id}))
    assert key is not None and len(key) <= 200
    assert key.startswith("sha256:")
    other = _key({"dedupe": {"header": "X-Id"}}, _json("{}", **{"X-Id": long_id + "y"}))
    assert other != key
    exact = "y" * 200
    assert _key({"dedupe": {"header": "X-Id"}}, _json("{}", **{"X-Id": exact})) == exact
