"""The per-workflow trigger settings: methods, signature preset, dedupe, response, handshake.

These models are the `"trigger"` object of the public `/api/v1` workflow JSON and
are stored as JSON, so unknown keys are refused (a typo must not silently turn
verification off) and every error reads as plain English.

Secret rotation: `SignatureConfig.secret` may hold several secrets, one per line.
A request passes when any of them verifies. Lines are trimmed and blank lines skipped;
commas are NOT separators because generic HMAC secrets may contain them.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.workflows.schedules import ScheduleConfig

SignaturePreset = Literal[
    "none", "github", "stripe", "slack", "shopify", "standard_webhooks", "twilio", "hmac"
]
HandshakePreset = Literal["none", "slack", "meta", "echo"]
TriggerMethod = Literal["POST", "PUT", "PATCH", "GET", "DELETE"]
TriggerKind = Literal["webhook", "schedule"]

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_header_name(value: str | None) -> str | None:
    """None for blank; otherwise a valid HTTP header name or a plain-English error."""
    if value is None or value == "":
        return None
    if not _HEADER_NAME.match(value):
        raise ValueError(f"{value!r} is not a valid header name (letters, digits and dashes)")
    return value


def split_secrets(secret: str | None) -> list[str]:
    """The secrets held in one field: one per line, trimmed, blanks skipped."""
    if secret is None:
        return []
    return [line.strip() for line in secret.splitlines() if line.strip()]


def decode_whsec(secret: str) -> bytes:
    """The key bytes of a Standard Webhooks secret (`whsec_` + base64); ValueError if not."""
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(
            "A Standard Webhooks secret looks like whsec_ followed by base64 text; "
            "copy it again from the sender's settings"
        ) from error


class SignatureConfig(BaseModel):
    """How to prove a request came from the expected sender."""

    model_config = _STRICT

    preset: SignaturePreset = "none"
    secret: str | None = None
    header: str | None = None
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""
    tolerance_seconds: int = Field(default=300, ge=1, le=86_400)

    @field_validator("header")
    @classmethod
    def _header_is_a_name(cls, value: str | None) -> str | None:
        return _check_header_name(value)

    @model_validator(mode="after")
    def _preset_has_what_it_needs(self) -> SignatureConfig:
        if self.preset == "hmac" and self.header is None:
            raise ValueError("The generic HMAC preset needs the name of the signature header")
        if self.preset == "standard_webhooks":
            for secret in split_secrets(self.secret):
                decode_whsec(secret)
        return self

    @property
    def secrets(self) -> list[str]:
        """Every secret to try (several during a rotation)."""
        return split_secrets(self.secret)


class DedupeConfig(BaseModel):
    """Where to find a delivery id; empty means "use the preset's id, if it has one"."""

    model_config = _STRICT

    header: str | None = None
    body_path: str | None = None

    @field_validator("header")
    @classmethod
    def _header_is_a_name(cls, value: str | None) -> str | None:
        return _check_header_name(value)

    @field_validator("body_path")
    @classmethod
    def _path_is_dotted(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if any(part == "" for part in value.split(".")):
            raise ValueError(
                f"{value!r} is not a body path; write field names joined by dots, like data.id"
            )
        return value


class ResponseConfig(BaseModel):
    """The immediate answer to an accepted request; `body` is a template rendered elsewhere."""

    model_config = ConfigDict(extra="forbid")  # the body template keeps its whitespace

    status: int = 202
    content_type: str = "application/json"
    body: str | None = None

    @field_validator("status")
    @classmethod
    def _status_is_success(cls, value: int) -> int:
        if not 200 <= value <= 299:
            raise ValueError(
                f"The response status must be a success code from 200 to 299, not {value}"
            )
        return value

    @field_validator("content_type")
    @classmethod
    def _content_type_is_present(cls, value: str) -> str:
        if "/" not in value or "\n" in value or "\r" in value:
            raise ValueError(f"{value!r} is not a content type; try application/json or text/plain")
        return value


class HandshakeConfig(BaseModel):
    """Which vendor verification challenge to answer automatically."""

    model_config = _STRICT

    preset: HandshakePreset = "none"
    verify_token: str | None = None
    echo_param: str | None = None

    @model_validator(mode="after")
    def _preset_has_what_it_needs(self) -> HandshakeConfig:
        if self.preset == "meta" and not self.verify_token:
            raise ValueError(
                "The Meta handshake needs the verify token you typed in Meta's settings"
            )
        if self.preset == "echo" and not self.echo_param:
            raise ValueError("The echo handshake needs the name of the query parameter to echo")
        return self


def _post_only() -> list[TriggerMethod]:
    return ["POST"]


class TriggerConfig(BaseModel):
    """Everything about how a workflow starts: its inbound URL, or a schedule.

    A "schedule" workflow is started by the clock at the times in `schedule`; its URL
    keeps working (handy for a test run), with the settings below.
    """

    model_config = _STRICT

    kind: TriggerKind = "webhook"
    schedule: ScheduleConfig | None = None
    methods: list[TriggerMethod] = Field(default_factory=_post_only)
    signature: SignatureConfig = Field(default_factory=SignatureConfig)
    dedupe: DedupeConfig = Field(default_factory=DedupeConfig)
    response: ResponseConfig = Field(default_factory=ResponseConfig)
    handshake: HandshakeConfig = Field(default_factory=HandshakeConfig)
    allow_browser_senders: bool = False

    @field_validator("methods", mode="before")
    @classmethod
    def _methods_upper_case(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [item.upper() if isinstance(item, str) else item for item in value]
        return value

    @field_validator("methods")
    @classmethod
    def _methods_present_once(cls, value: list[TriggerMethod]) -> list[TriggerMethod]:
        if not value:
            raise ValueError("Choose at least one HTTP method that starts the workflow")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _schedule_when_scheduled(self) -> TriggerConfig:
        if self.kind == "schedule" and self.schedule is None:
            raise ValueError("A scheduled workflow needs a schedule: say when it should run")
        return self
