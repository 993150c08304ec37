"""Settings groups for traffic: inbound hooks, outbound calls, and history retention."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from app.settings.core import ENV_GROUP

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class InboundSettings(BaseSettings):
    """Limits on what the webhook edge accepts."""

    model_config = ENV_GROUP

    max_body_bytes: int = Field(
        default=10 * 1024 * 1024,
        validation_alias=AliasChoices("INBOUND_MAX_BODY_BYTES", "max_body_bytes"),
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=0,
        validation_alias=AliasChoices("INBOUND_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute"),
        description="Requests one hook URL accepts per minute before answering 429 (0 = no limit).",
    )
    max_backlog: int = Field(
        default=0,
        ge=0,
        validation_alias=AliasChoices("INBOUND_MAX_BACKLOG", "max_backlog"),
        description=(
            "Queued runs above which every webhook URL answers 503 + Retry-After until the "
            "workers catch up (0 = never refuse: events wait safely in the database, and "
            "many senders give up on or disable URLs that refuse)."
        ),
    )


class OutboundSettings(BaseSettings):
    """Rules for the calls Hookline makes to the outside world."""

    model_config = ENV_GROUP

    allow_networks: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        default=(),
        validation_alias=AliasChoices("OUTBOUND_ALLOW_NETWORKS", "allow_networks"),
        description="Comma-separated CIDRs that outbound calls may reach despite being private.",
    )
    connect_timeout: float = Field(
        default=5.0, validation_alias=AliasChoices("OUTBOUND_CONNECT_TIMEOUT", "connect_timeout")
    )
    read_timeout: float = Field(
        default=30.0, validation_alias=AliasChoices("OUTBOUND_READ_TIMEOUT", "read_timeout")
    )
    total_timeout: float = Field(
        default=60.0, validation_alias=AliasChoices("OUTBOUND_TOTAL_TIMEOUT", "total_timeout")
    )
    max_response_bytes: int = Field(
        default=1_048_576,
        validation_alias=AliasChoices("OUTBOUND_MAX_RESPONSE_BYTES", "max_response_bytes"),
    )

    @field_validator("allow_networks", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return tuple(ipaddress.ip_network(p, strict=False) for p in parts)
            except ValueError as exc:
                raise ValueError(
                    f"OUTBOUND_ALLOW_NETWORKS must be comma-separated CIDRs like 10.0.0.0/8: {exc}"
                ) from exc
        return value


class HistorySettings(BaseSettings):
    """How long received events and finished runs are kept."""

    model_config = ENV_GROUP

    retention_days: float = Field(
        default=30.0,
        ge=0,
        validation_alias=AliasChoices("HISTORY_RETENTION_DAYS", "retention_days"),
        description="Events and finished runs older than this are deleted; 0 keeps them forever.",
    )
    prune_interval_seconds: float = Field(
        default=600.0, validation_alias=AliasChoices("PRUNE_INTERVAL_SECONDS", "prune_interval")
    )
