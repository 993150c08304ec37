"""Answering vendor verification handshakes, which are replies, never events.

- Slack `url_verification`: a signed JSON POST; the reply is the `challenge` as
  text/plain, one of the three forms Slack's Events API docs accept. It is
  answered when the handshake preset is "slack", and also when the handshake preset
  is "none" but the signature preset is "slack", because a Slack Events URL can
  never be saved without it. Slack signs this request, so the edge should verify
  the signature first.
- Meta (Facebook, Instagram, WhatsApp): `GET ?hub.mode=subscribe&hub.verify_token=...
  &hub.challenge=...`; 200 text/plain with exactly the challenge when the token
  matches, 403 otherwise. Meta does not sign this GET: the verify token is the proof,
  so the edge answers it before any signature check.
- Echo: any request carrying the named query parameter (Dropbox's `challenge`,
  Microsoft Graph's `validationToken`) gets its value back as text/plain.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from app.inbound.body_parsing import ParsedBody
from app.inbound.request import InboundRequest
from app.inbound.trigger_config import TriggerConfig

TEXT_PLAIN = "text/plain"


@dataclass(frozen=True)
class HandshakeReply:
    """The exact answer to send back instead of recording an event."""

    status: int
    content_type: str
    body: bytes


def answer_handshake(
    config: TriggerConfig, request: InboundRequest, parsed: ParsedBody
) -> HandshakeReply | None:
    """The reply to a vendor handshake, or None when the request is not one."""
    preset = config.handshake.preset
    if preset == "slack" or (preset == "none" and config.signature.preset == "slack"):
        return _answer_slack(parsed)
    if preset == "meta":
        return _answer_meta(config.handshake.verify_token or "", request)
    if preset == "echo" and config.handshake.echo_param:
        value = request.query_value(config.handshake.echo_param)
        return None if value is None else HandshakeReply(200, TEXT_PLAIN, value.encode())
    return None


def _answer_slack(parsed: ParsedBody) -> HandshakeReply | None:
    value = parsed.value
    if parsed.kind != "json" or not isinstance(value, dict):
        return None
    challenge = value.get("challenge")
    if value.get("type") != "url_verification" or not isinstance(challenge, str):
        return None
    return HandshakeReply(200, TEXT_PLAIN, challenge.encode())


def _answer_meta(verify_token: str, request: InboundRequest) -> HandshakeReply | None:
    challenge = request.query_value("hub.challenge")
    if request.method.upper() != "GET" or request.query_value("hub.mode") != "subscribe":
        return None
    if challenge is None:
        return None
    sent_token = request.query_value("hub.verify_token") or ""
    if not verify_token or not hmac.compare_digest(sent_token.encode(), verify_token.encode()):
        return HandshakeReply(
            403, TEXT_PLAIN, b"The verify token does not match the one set in this workflow"
        )
    return HandshakeReply(200, TEXT_PLAIN, challenge.encode())
