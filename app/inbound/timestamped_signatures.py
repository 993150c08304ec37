"""Presets that sign a timestamp with the body: Stripe, Slack and Standard Webhooks (Svix).

Each checks the signature first and the timestamp's age second, so a replayed
but authentic request is reported as too old rather than as forged.
"""

from __future__ import annotations

from datetime import datetime

from app.inbound.request import InboundRequest
from app.inbound.signature_verdict import (
    MISMATCH,
    SignatureVerdict,
    check_age,
    decode_base64,
    decode_hex,
    failed,
    hmac_digest,
    matches_any,
    missing_header,
    passed,
    read_timestamp,
)
from app.inbound.trigger_config import SignatureConfig, decode_whsec


def check_stripe(
    config: SignatureConfig, request: InboundRequest, now: datetime
) -> SignatureVerdict:
    """`Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` over `{t}.{body}`; v0 is ignored."""
    header = request.header("Stripe-Signature")
    if header is None:
        return missing_header("Stripe-Signature")
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in items if key.strip() == "t"]
    signatures = [decode_hex(value) for key, value in items if key.strip() == "v1"]
    if not stamps:
        return failed("The Stripe-Signature header has no t= timestamp")
    if not signatures:
        return failed("The Stripe-Signature header has no v1= signature")
    timestamp = read_timestamp(stamps[0], "Stripe-Signature t=")
    if isinstance(timestamp, SignatureVerdict):
        return timestamp
    signed = stamps[0].strip().encode() + b"." + request.body
    expected = [hmac_digest(secret.encode(), signed) for secret in config.secrets]
    if not matches_any(expected, signatures):
        return failed(MISMATCH)
    return check_age(timestamp, "Stripe", config.tolerance_seconds, now) or passed("Stripe")


def check_slack(
    config: SignatureConfig, request: InboundRequest, now: datetime
) -> SignatureVerdict:
    """`X-Slack-Signature: v0=<hex>` over `v0:{X-Slack-Request-Timestamp}:{body}`."""
    signature = request.header("X-Slack-Signature")
    stamp = request.header("X-Slack-Request-Timestamp")
    if signature is None:
        return missing_header("X-Slack-Signature")
    if stamp is None:
        return missing_header("X-Slack-Request-Timestamp")
    if not signature.startswith("v0="):
        return failed("The X-Slack-Signature header should start with v0=")
    timestamp = read_timestamp(stamp, "X-Slack-Request-Timestamp")
    if isinstance(timestamp, SignatureVerdict):
        return timestamp
    signed = b"v0:" + stamp.strip().encode() + b":" + request.body
    expected = [hmac_digest(secret.encode(), signed) for secret in config.secrets]
    if not matches_any(expected, [decode_hex(signature.removeprefix("v0="))]):
        return failed(MISMATCH)
    return check_age(timestamp, "Slack", config.tolerance_seconds, now) or passed("Slack")


def check_standard_webhooks(
    config: SignatureConfig, request: InboundRequest, now: datetime
) -> SignatureVerdict:
    """`webhook-signature: v1,<b64> v1,<b64>` over `{id}.{timestamp}.{body}` (or `svix-*`)."""
    family = "webhook" if request.header("webhook-signature") is not None else "svix"
    if request.header(f"{family}-signature") is None:
        return missing_header("webhook-signature")
    names = (f"{family}-id", f"{family}-timestamp", f"{family}-signature")
    values = [request.header(name) for name in names]
    for name, value in zip(names, values, strict=True):
        if value is None:
            return missing_header(name)
    message_id, stamp, header = (value or "" for value in values)
    timestamp = read_timestamp(stamp, names[1])
    if isinstance(timestamp, SignatureVerdict):
        return timestamp
    signatures = [
        decode_base64(value)
        for version, _, value in (item.partition(",") for item in header.split())
        if version == "v1"
    ]
    if not signatures:
        return failed(f"The {names[2]} header has no v1 signature")
    try:
        keys = [decode_whsec(secret) for secret in config.secrets]
    except ValueError as error:
        return failed(str(error))
    signed = f"{message_id}.{stamp}.".encode() + request.body
    if not matches_any([hmac_digest(key, signed) for key in keys], list(signatures)):
        return failed(MISMATCH)
    label = "Standard Webhooks"
    return check_age(timestamp, label, config.tolerance_seconds, now) or passed(label)
