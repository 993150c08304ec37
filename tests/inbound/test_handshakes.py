"""Vendor handshakes: Slack url_verification, Meta hub.challenge, generic echo."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.inbound.body_parsing import parse_body
from app.inbound.handshakes import HandshakeReply, answer_handshake
from app.inbound.request import InboundRequest
from app.inbound.trigger_config import TriggerConfig
from tests.inbound.builders import make_request

SLACK_CHALLENGE = {
    "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
    "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    "type": "url_verification",
}
META_URL = (
    "https://hooks.example.com/hooks/t?hub.mode=subscribe"
    "&hub.verify_token=s3cret&hub.challenge=1158201444"
)


def _answer(config: dict[str, Any], request: InboundRequest) -> HandshakeReply | None:
    trigger = TriggerConfig.model_validate(config)
    return answer_handshake(trigger, request, parse_body(request.content_type, request.body))


def _json_post(payload: Any) -> InboundRequest:
    return make_request(json.dumps(payload), {"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "config",
    [
        {"handshake": {"preset": "slack"}},
        {"signature": {"preset": "slack", "secret": "x"}},
    ],
    ids=["slack handshake preset", "slack signature preset"],
)
def test_answer_handshake_echoes_slack_challenge(config: dict[str, Any]) -> None:
    reply = _answer(config, _json_post(SLACK_CHALLENGE))
    assert reply == HandshakeReply(200, "text/plain", SLACK_CHALLENGE["challenge"].encode())


def test_answer_handshake_ignores_slack_events_and_other_senders() -> None:
    event = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}
    assert _answer({"handshake": {"preset": "slack"}}, _json_post(event)) is None
    assert _answer({}, _json_post(SLACK_CHALLENGE)) is None
    form = make_request(
        "type=url_verification&challenge=x", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert _answer({"handshake": {"preset": "slack"}}, form) is None


META = {"handshake": {"preset": "meta", "verify_token": "s3cret"}}


def test_answer_handshake_returns_exactly_the_meta_challenge() -> None:
    reply = _answer(META, make_request(method="GET", url=META_URL))
    assert reply == HandshakeReply(200, "text/plain", b"1158201444")


def test_answer_handshake_refuses_a_wrong_meta_token() -> None:
    url = META_URL.replace("s3cret", "guess")
    reply = _answer(META, make_request(method="GET", url=url))
    assert reply is not None
    assert reply.status == 403
    assert b"1158201444" not in reply.body


def test_answer_handshake_leaves_meta_event_posts_alone() -> None:
    assert _answer(META, make_request(b'{"object": "page"}', method="POST", url=META_URL)) is None
    plain_get = make_request(method="GET", url="https://hooks.example.com/hooks/t")
    assert _answer(META, plain_get) is None


def test_answer_handshake_echoes_a_named_query_parameter() -> None:
    config = {"handshake": {"preset": "echo", "echo_param": "validationToken"}}
    url = "https://hooks.example.com/hooks/t?validationToken=Validation%3A+Testing+client"
    reply = _answer(config, make_request(method="POST", url=url))
    assert reply == HandshakeReply(200, "text/plain", b"Validation: Testing client")
    assert _answer(config, make_request(b"{}", method="POST")) is None


def test_answer_handshake_is_none_without_a_preset() -> None:
    assert _answer({}, make_request(method="GET", url=META_URL)) is None
