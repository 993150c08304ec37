"""Signature presets: good, tampered, missing header, expired, rotation, missing secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from app.inbound.request import InboundRequest
from app.inbound.signatures import verify_signature
from app.inbound.trigger_config import SignatureConfig
from tests.inbound.builders import RECEIVED_AT, make_request

NOW = RECEIVED_AT
TS = str(int(NOW.timestamp()))
BODY = b'{"id": "evt_1", "amount": 10.0}'
WHSEC_KEY = b"0123456789abcdef0123456789abcdef"
WHSEC = "whsec_" + base64.b64encode(WHSEC_KEY).decode()


def _mac(key: bytes | str, message: bytes, algorithm: str = "sha256") -> bytes:
    raw_key = key.encode() if isinstance(key, str) else key
    return hmac.new(raw_key, message, getattr(hashlib, algorithm)).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class Preset:
    """How one preset signs: its config and the headers a real sender would send."""

    name: str
    config: dict[str, Any]
    sign: Any  # (secret, body, timestamp) -> headers
    signature_header: str
    timestamped: bool


PRESETS = [
    Preset(
        "github",
        {"preset": "github", "secret": "gh-secret"},
        lambda s, b, t: {"X-Hub-Signature-256": "sha256=" + _mac(s, b).hex()},
        "X-Hub-Signature-256",
        False,
    ),
    Preset(
        "stripe",
        {"preset": "stripe", "secret": "whsec_stripe"},
        lambda s, b, t: {
            "Stripe-Signature": f"t={t},v1={'00' * 32},v1={_mac(s, f'{t}.'.encode() + b).hex()}"
        },
        "Stripe-Signature",
        True,
    ),
    Preset(
        "slack",
        {"preset": "slack", "secret": "slack-secret"},
        lambda s, b, t: {
            "X-Slack-Request-Timestamp": t,
            "X-Slack-Signature": "v0=" + _mac(s, f"v0:{t}:".encode() + b).hex(),
        },
        "X-Slack-Signature",
        True,
    ),
    Preset(
        "shopify",
        {"preset": "shopify", "secret": "shop-secret"},
        lambda s, b, t: {"X-Shopify-Hmac-Sha256": _b64(_mac(s, b))},
        "X-Shopify-Hmac-Sha256",
        False,
    ),
    Preset(
        "standard_webhooks",
        {"preset": "standard_webhooks", "secret": WHSEC},
        lambda s, b, t: {
            "webhook-id": "msg_1",
            "webhook-timestamp": t,
            "webhook-signature": "v1a,abc v1,"
            + _b64(_mac(base64.b64decode(s.removeprefix("whsec_")), f"msg_1.{t}.".encode() + b)),
        },
        "webhook-signature",
        True,
    ),
    Preset(
        "svix",
        {"preset": "standard_webhooks", "secret": WHSEC},
        lambda s, b, t: {
            "svix-id": "msg_1",
            "svix-timestamp": t,
            "svix-signature": "v1,"
            + _b64(_mac(base64.b64decode(s.removeprefix("whsec_")), f"msg_1.{t}.".encode() + b)),
        },
        "svix-signature",
        True,
    ),
    Preset(
        "hmac sha512 base64 prefix",
        {
            "preset": "hmac",
            "secret": "s",
            "header": "X-Sig",
            "algorithm": "sha512",
            "encoding": "base64",
            "prefix": "sha512=",
        },
        lambda s, b, t: {"X-Sig": "sha512=" + _b64(_mac(s, b, "sha512"))},
        "X-Sig",
        False,
    ),
    Preset(
        "hmac sha1 hex",
        {"preset": "hmac", "secret": "s", "header": "X-Sig", "algorithm": "sha1"},
        lambda s, b, t: {"X-Sig": _mac(s, b, "sha1").hex().upper()},
        "X-Sig",
        False,
    ),
]
IDS = [preset.name for preset in PRESETS]


def _signed(preset: Preset, secret: str, body: bytes = BODY, ts: str = TS) -> InboundRequest:
    headers = {"Content-Type": "application/json", **preset.sign(secret, body, ts)}
    return make_request(body, headers)


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_verify_signature_accepts_a_genuine_request(preset: Preset) -> None:
    config = SignatureConfig.model_validate(preset.config)
    verdict = verify_signature(config, _signed(preset, config.secrets[0]), now=NOW)
    assert verdict.ok, verdict.reason


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_verify_signature_rejects_a_changed_body(preset: Preset) -> None:
    config = SignatureConfig.model_validate(preset.config)
    request = _signed(preset, config.secrets[0])
    tampered = make_request(BODY.replace(b"10.0", b"99.0"), list(request.headers))
    verdict = verify_signature(config, tampered, now=NOW)
    assert not verdict.ok
    assert verdict.reason == "The signature does not match the body (check the signing secret)"


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_verify_signature_rejects_the_wrong_secret(preset: Preset) -> None:
    config = SignatureConfig.model_validate(preset.config)
    other = "whsec_" + _b64(b"another key") if config.preset == "standard_webhooks" else "other"
    assert not verify_signature(config, _signed(preset, other), now=NOW).ok


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_verify_signature_names_the_missing_header(preset: Preset) -> None:
    config = SignatureConfig.model_validate(preset.config)
    request = _signed(preset, config.secrets[0])
    stripped = [(k, v) for k, v in request.headers if k != preset.signature_header]
    verdict = verify_signature(config, make_request(BODY, stripped), now=NOW)
    assert not verdict.ok
    expected = "webhook-signature" if preset.name == "svix" else preset.signature_header
    assert verdict.reason == f"The {expected} header is missing"


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_verify_signature_accepts_either_secret_during_rotation(preset: Preset) -> None:
    config = SignatureConfig.model_validate(preset.config)
    old_secret = config.secrets[0]
    new_secret = "whsec_" + _b64(b"a brand new key") if "whsec_" in old_secret else "new!"
    rotated = config.model_copy(update={"secret": f"{new_secret}\n\n  {old_secret}  \n"})
    assert verify_signature(rotated, _signed(preset, old_secret), now=NOW).ok
    assert verify_signature(rotated, _signed(preset, new_secret), now=NOW).ok


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_verify_signature_asks_for_a_missing_secret(preset: Preset) -> None:
    config = SignatureConfig.model_validate({**preset.config, "secret": None})
    verdict = verify_signature(config, _signed(preset, "whatever"), now=NOW)
    assert not verdict.ok
    assert "No signing secret is set" in verdict.reason


TIMED = [preset for preset in PRESETS if preset.timestamped]


@pytest.mark.parametrize("preset", TIMED, ids=[p.name for p in TIMED])
def test_verify_signature_rejects_an_old_timestamp(preset: Preset) -> None:
    config = SignatureConfig.model_validate(preset.config)
    old = str(int((NOW - timedelta(seconds=412)).timestamp()))
    verdict = verify_signature(config, _signed(preset, config.secrets[0], ts=old), now=NOW)
    assert not verdict.ok
    assert "timestamp is 412 seconds old (more than 300 allowed)" in verdict.reason


@pytest.mark.parametrize("preset", TIMED, ids=[p.name for p in TIMED])
def test_verify_signature_rejects_a_future_timestamp(preset: Preset) -> None:
    config = SignatureConfig.model_validate(preset.config)
    ahead = str(int((NOW + timedelta(seconds=900)).timestamp()))
    verdict = verify_signature(config, _signed(preset, config.secrets[0], ts=ahead), now=NOW)
    assert "900 seconds in the future" in verdict.reason


@pytest.mark.parametrize("preset", TIMED, ids=[p.name for p in TIMED])
def test_verify_signature_honours_a_longer_tolerance(preset: Preset) -> None:
    config = SignatureConfig.model_validate({**preset.config, "tolerance_seconds": 600})
    old = str(int((NOW - timedelta(seconds=412)).timestamp()))
    assert verify_signature(config, _signed(preset, config.secrets[0], ts=old), now=NOW).ok


def test_verify_signature_reports_the_stripe_example_reason() -> None:
    config = SignatureConfig(preset="stripe", secret="whsec_stripe")
    request = _signed(PRESETS[1], "whsec_stripe")
    verdict = verify_signature(config, request, now=NOW + timedelta(seconds=412))
    assert verdict.reason.startswith(
        "The Stripe timestamp is 412 seconds old (more than 300 allowed)"
    )


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("v1=abc", "The Stripe-Signature header has no t= timestamp"),
        (f"t={TS}", "The Stripe-Signature header has no v1= signature"),
        (
            "t=yesterday,v1=ab",
            "The Stripe-Signature t= header is not a Unix timestamp: 'yesterday'",
        ),
    ],
)
def test_verify_signature_explains_malformed_stripe_headers(header: str, reason: str) -> None:
    config = SignatureConfig(preset="stripe", secret="whsec_x")
    verdict = verify_signature(config, make_request(BODY, {"Stripe-Signature": header}), now=NOW)
    assert verdict.reason == reason


def test_verify_signature_requires_the_configured_prefix() -> None:
    config = SignatureConfig(preset="hmac", secret="s", header="X-Sig", prefix="sha256=")
    request = make_request(BODY, {"X-Sig": _mac("s", BODY).hex()})
    verdict = verify_signature(config, request, now=NOW)
    assert verdict.reason == "The X-Sig header should start with 'sha256='"


def test_verify_signature_passes_everything_without_a_preset() -> None:
    assert verify_signature(SignatureConfig(), make_request(b"anything"), now=NOW).ok


def test_verify_signature_explains_a_bad_standard_webhooks_secret() -> None:
    config = SignatureConfig.model_construct(
        preset="standard_webhooks", secret="whsec_!!", tolerance_seconds=300
    )
    request = _signed(PRESETS[4], WHSEC)
    assert "whsec_ followed by base64" in verify_signature(config, request, now=NOW).reason


def test_verify_signature_is_not_fooled_by_github_sha1_header() -> None:
    config = SignatureConfig(preset="github", secret="gh")
    request = make_request(BODY, {"X-Hub-Signature": "sha1=" + _mac("gh", BODY, "sha1").hex()})
    assert verify_signature(config, request, now=NOW).reason == (
        "The X-Hub-Signature-256 header is missing"
    )


def test_verify_signature_treats_an_unparsable_hex_signature_as_a_mismatch() -> None:
    config = SignatureConfig(preset="github", secret="gh")
    request = make_request(BODY, {"X-Hub-Signature-256": "sha256=not-hex"})
    assert not verify_signature(config, request, now=NOW).ok


TWILIO_TOKEN = "twilio-auth-token"
TWILIO_FORM = b"From=%2B14155550100&Body=Hello+there&To=%2B14155550199&Body=again"


def _twilio_signature(url: str, params: str = "") -> str:
    return _b64(_mac(TWILIO_TOKEN, (url + params).encode(), "sha1"))


def _twilio_params() -> str:
    return "BodyHello there" + "Bodyagain" + "From+14155550100" + "To+14155550199"


@pytest.mark.parametrize(
    ("signed_url", "received_url"),
    [
        ("https://hooks.example.com/hooks/t?x=1", "https://hooks.example.com/hooks/t?x=1"),
        ("https://hooks.example.com/hooks/t", "http://hooks.example.com/hooks/t"),
        ("https://hooks.example.com:443/hooks/t", "http://hooks.example.com/hooks/t"),
        ("https://hooks.example.com/hooks/t", "https://hooks.example.com:443/hooks/t"),
        ("http://localhost:8000/hooks/t", "http://localhost:8000/hooks/t"),
        ("https://[::1]/hooks/t", "http://[::1]:8000/hooks/t"),
    ],
    ids=["as received", "behind TLS proxy", "port added", "port removed", "dev port", "ipv6"],
)
def test_verify_signature_tries_the_url_forms_twilio_signs(
    signed_url: str, received_url: str
) -> None:
    config = SignatureConfig(preset="twilio", secret=TWILIO_TOKEN)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": _twilio_signature(signed_url, _twilio_params()),
    }
    request = make_request(TWILIO_FORM, headers, url=received_url)
    assert verify_signature(config, request, now=NOW).ok


def test_verify_signature_rejects_twilio_for_another_path() -> None:
    config = SignatureConfig(preset="twilio", secret=TWILIO_TOKEN)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": _twilio_signature("https://h.example/a", _twilio_params()),
    }
    request = make_request(TWILIO_FORM, headers, url="https://h.example/b")
    assert not verify_signature(config, request, now=NOW).ok


def test_verify_signature_checks_twilio_body_hash_for_json() -> None:
    config = SignatureConfig(preset="twilio", secret=TWILIO_TOKEN)
    url = "https://h.example/t?bodySHA256=" + hashlib.sha256(BODY).hexdigest()
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": _twilio_signature(url)}
    assert verify_signature(config, make_request(BODY, headers, url=url), now=NOW).ok
    changed = make_request(BODY + b" ", headers, url=url)
    assert verify_signature(config, changed, now=NOW).reason == (
        "The bodySHA256 in the URL does not match the body"
    )
