"""Trigger settings: the API's JSON shape, defaults, and plain-English validation errors."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import ValidationError

from app.inbound.presets_help import PRESET_HELP
from app.inbound.trigger_config import SignatureConfig, TriggerConfig


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        TriggerConfig.model_validate(data)
    return " | ".join(error["msg"] for error in caught.value.errors())


def test_trigger_config_accepts_the_issue_example_and_round_trips() -> None:
    example = {
        "methods": ["POST"],
        "signature": {"preset": "github", "secret": "abc"},
        "dedupe": {"header": "X-Request-Id"},
        "response": {"status": 200, "content_type": "text/plain", "body": "ok"},
        "handshake": {"preset": "meta", "verify_token": "tok"},
    }
    config = TriggerConfig.model_validate(example)
    assert TriggerConfig.model_validate_json(config.model_dump_json()) == config
    assert config.model_dump()["signature"]["preset"] == "github"


def test_trigger_config_defaults_to_post_answered_with_202() -> None:
    config = TriggerConfig()
    assert config.methods == ["POST"]
    assert (config.response.status, config.response.content_type) == (202, "application/json")
    assert config.signature.preset == "none"
    assert config.allow_browser_senders is False


def test_trigger_config_normalises_method_case_and_repeats() -> None:
    assert TriggerConfig(methods=["post", "GET", "Post"]).methods == ["POST", "GET"]  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"methods": []}, "Choose at least one HTTP method"),
        ({"response": {"status": 500}}, "must be a success code from 200 to 299, not 500"),
        ({"response": {"content_type": "json"}}, "'json' is not a content type"),
        ({"signature": {"preset": "hmac"}}, "needs the name of the signature header"),
        (
            {"signature": {"preset": "hmac", "header": "X Sig"}},
            "'X Sig' is not a valid header name",
        ),
        (
            {"signature": {"preset": "standard_webhooks", "secret": "whsec_not base64!"}},
            "looks like whsec_ followed by base64",
        ),
        ({"signature": {"tolerance_seconds": 0}}, "greater than or equal to 1"),
        ({"handshake": {"preset": "meta"}}, "needs the verify token"),
        ({"handshake": {"preset": "echo"}}, "needs the name of the query parameter"),
        ({"dedupe": {"body_path": "data..id"}}, "write field names joined by dots"),
        ({"signture": {"preset": "github"}}, "Extra inputs are not permitted"),
    ],
)
def test_trigger_config_explains_mistakes(data: dict[str, Any], message: str) -> None:
    assert message in _error(data)


def test_signature_config_splits_rotation_secrets_by_line() -> None:
    config = SignatureConfig(preset="github", secret="new-secret\n\n  old,secret  \n")
    assert config.secrets == ["new-secret", "old,secret"]


def test_signature_config_accepts_several_whsec_secrets() -> None:
    one = "whsec_" + base64.b64encode(b"k1").decode()
    two = "whsec_" + base64.b64encode(b"k2").decode()
    config = SignatureConfig(preset="standard_webhooks", secret=f"{one}\n{two}")
    assert config.secrets == [one, two]


def test_blank_optional_fields_mean_unset() -> None:
    config = TriggerConfig.model_validate({"dedupe": {"header": "", "body_path": ""}})
    assert (config.dedupe.header, config.dedupe.body_path) == (None, None)


def test_every_signature_preset_has_setup_help() -> None:
    presets = SignatureConfig.model_fields["preset"].annotation.__args__  # type: ignore[union-attr]
    assert set(PRESET_HELP) == set(presets)
    assert all(len(text) > 40 for text in PRESET_HELP.values())
