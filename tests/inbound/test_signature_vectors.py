"""The published vendor signature vectors: each verifies, and fails once one body byte changes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from app.inbound.request import InboundRequest
from app.inbound.signatures import verify_signature
from app.inbound.trigger_config import SignatureConfig
from tests.fixtures import FIXTURES
from tests.inbound.builders import make_request

VECTORS_FILE = FIXTURES / "signature_vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text())
# The vector signs a URL carrying bodySHA256 but lists an empty payload; this is the
# body from twilio-python's own test suite whose sha256 is that bodySHA256.
TWILIO_JSON_BODY = b'{"property": "value", "boolean": true}'

PRESET_BY_SCHEME = {
    "github": "github",
    "stripe": "stripe",
    "slack": "slack",
    "shopify": "shopify",
    "standard-webhooks": "standard_webhooks",
    "svix": "standard_webhooks",
    "twilio": "twilio",
    "convoy": "hmac",
}


def _config(vector: dict[str, Any]) -> SignatureConfig:
    prefix = vector["scheme"].split("-")[0]
    if prefix == "standard":
        prefix = "standard-webhooks"
    preset = PRESET_BY_SCHEME[prefix]  # a KeyError here means: teach this test the new scheme
    extra: dict[str, Any] = {}
    if preset == "hmac":
        extra = {
            "header": vector["header_name"].split(" ")[0],
            "encoding": "base64" if "base64" in vector["scheme"] else "hex",
        }
    return SignatureConfig(preset=preset, secret=vector["secret"], **extra)


def _body_and_type(vector: dict[str, Any]) -> tuple[bytes, str]:
    if vector.get("params"):
        return urlencode(vector["params"]).encode(), "application/x-www-form-urlencoded"
    body_hash = parse_qs(urlsplit(vector.get("url", "")).query).get("bodySHA256")
    if body_hash:
        assert hashlib.sha256(TWILIO_JSON_BODY).hexdigest() == body_hash[0]
        return TWILIO_JSON_BODY, "application/json"
    return vector["payload"].encode(), "application/json"


def _request(vector: dict[str, Any], body: bytes) -> InboundRequest:
    _, content_type = _body_and_type(vector)
    headers = {
        **vector["headers"],
        "Content-Type": content_type,
        vector["header_name"].split(" ")[0]: vector["expected_header_value"],
    }
    headers.pop("timestamp", None)  # Stripe's vector notes the timestamp; it is not a header
    url = vector.get("url", "https://hooks.example.com/hooks/tok")
    return make_request(body, headers, url=url)


def _now(vector: dict[str, Any]) -> datetime:
    if vector["timestamp"] is None:
        return datetime(2024, 1, 1, tzinfo=UTC)
    signed_at = datetime.fromtimestamp(int(vector["timestamp"]), tz=UTC)
    return signed_at + timedelta(seconds=100)


def _one_byte_changed(body: bytes) -> bytes:
    return body[:-1] + bytes([body[-1] ^ 0x01])


IDS = [vector["id"] for vector in VECTORS]


def test_vectors_file_covers_every_vendor_preset() -> None:
    prefixes = {vector["scheme"].split("-")[0] for vector in VECTORS}
    assert {"github", "stripe", "slack", "shopify", "standard", "svix", "twilio"} <= prefixes


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_verifies_as_published(vector: dict[str, Any]) -> None:
    body, _ = _body_and_type(vector)
    verdict = verify_signature(_config(vector), _request(vector, body), now=_now(vector))
    assert verdict.ok is vector["expected_valid"], verdict.reason


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_fails_when_one_body_byte_changes(vector: dict[str, Any]) -> None:
    body, _ = _body_and_type(vector)
    request = _request(vector, _one_byte_changed(body))
    verdict = verify_signature(_config(vector), request, now=_now(vector))
    assert not verdict.ok
