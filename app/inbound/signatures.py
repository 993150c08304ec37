"""Checking that a request really comes from the configured sender, by signature preset.

Every check runs over the exact received bytes, compares in constant time and tries
each configured secret (several during a rotation). Body-only presets live here;
timestamped ones in `timestamped_signatures`, Twilio in `twilio_signature`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from app.inbound.request import InboundRequest
from app.inbound.signature_verdict import (
    MISMATCH,
    SignatureVerdict,
    decode_base64,
    decode_hex,
    failed,
    hmac_digest,
    matches_any,
    missing_header,
    passed,
)
from app.inbound.timestamped_signatures import (
    check_slack,
    check_standard_webhooks,
    check_stripe,
)
from app.inbound.trigger_config import SignatureConfig
from app.inbound.twilio_signature import check_twilio

__all__ = ["PRESET_LABELS", "SignatureVerdict", "verify_signature"]

PRESET_LABELS = {
    "none": "No signature",
    "github": "GitHub",
    "stripe": "Stripe",
    "slack": "Slack",
    "shopify": "Shopify",
    "standard_webhooks": "Standard Webhooks / Svix",
    "twilio": "Twilio",
    "hmac": "generic HMAC",
}

Checker = Callable[[SignatureConfig, InboundRequest, datetime], SignatureVerdict]


def verify_signature(
    config: SignatureConfig, request: InboundRequest, *, now: datetime
) -> SignatureVerdict:
    """The verdict for one request under the workflow's signature settings."""
    if config.preset == "none":
        return SignatureVerdict(True, "No signature check is configured for this workflow")
    if not config.secrets:
        return failed(
            f"No signing secret is set for the {PRESET_LABELS[config.preset]} preset; "
            "paste it into the workflow's trigger settings"
        )
    return _CHECKERS[config.preset](config, request, now)


def check_github(
    config: SignatureConfig, request: InboundRequest, now: datetime
) -> SignatureVerdict:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`."""
    header = request.header("X-Hub-Signature-256")
    if header is None:
        return missing_header("X-Hub-Signature-256")
    if not header.startswith("sha256="):
        return failed("The X-Hub-Signature-256 header should start with sha256=")
    expected = [hmac_digest(secret.encode(), request.body) for secret in config.secrets]
    if not matches_any(expected, [decode_hex(header.removeprefix("sha256="))]):
        return failed(MISMATCH)
    return passed("GitHub")


def check_shopify(
    config: SignatureConfig, request: InboundRequest, now: datetime
) -> SignatureVerdict:
    """`X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`."""
    header = request.header("X-Shopify-Hmac-Sha256")
    if header is None:
        return missing_header("X-Shopify-Hmac-Sha256")
    expected = [hmac_digest(secret.encode(), request.body) for secret in config.secrets]
    if not matches_any(expected, [decode_base64(header)]):
        return failed(MISMATCH)
    return passed("Shopify")


def check_generic_hmac(
    config: SignatureConfig, request: InboundRequest, now: datetime
) -> SignatureVerdict:
    """A user-described HMAC of the body: header name, hash, hex/base64, optional prefix."""
    name = config.header or ""
    header = request.header(name) if name else None
    if header is None:
        return missing_header(name or "signature")
    if not header.startswith(config.prefix):
        return failed(f"The {name} header should start with {config.prefix!r}")
    signature = header.removeprefix(config.prefix)
    received = decode_hex(signature) if config.encoding == "hex" else decode_base64(signature)
    expected = [
        hmac_digest(secret.encode(), request.body, config.algorithm) for secret in config.secrets
    ]
    if not matches_any(expected, [received]):
        return failed(MISMATCH)
    return passed("HMAC")


_CHECKERS: dict[str, Checker] = {
    "github": check_github,
    "stripe": check_stripe,
    "slack": check_slack,
    "shopify": check_shopify,
    "standard_webhooks": check_standard_webhooks,
    "twilio": lambda config, request, now: check_twilio(config, request),
    "hmac": check_generic_hmac,
}
