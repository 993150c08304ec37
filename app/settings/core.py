"""Settings groups for the process itself: app identity, the database and the broker.

Also the shared pieces every group uses (SettingsError, ENV_GROUP, the dev secret).
Nothing here imports from the rest of `app`.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - the known placeholder
log = logging.getLogger("hookline.settings")


class SettingsError(ValueError):
    """A configuration problem an operator must fix before Hookline starts."""


ENV_GROUP = SettingsConfigDict(extra="ignore", populate_by_name=True)


class AppSettings(BaseSettings):
    """Identity of this deployment: environment, secret key, public address."""

    model_config = ENV_GROUP

    env: Literal["dev", "test", "production"] = Field(
        default="dev", validation_alias=AliasChoices("HOOKLINE_ENV", "env")
    )
    secret_key: str = Field(
        default=DEV_SECRET_KEY, validation_alias=AliasChoices("SECRET_KEY", "secret_key")
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        validation_alias=AliasChoices("PUBLIC_BASE_URL", "public_base_url"),
    )
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT", "port"))
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "host"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level")
    )
    log_format: Literal["json", "text"] | None = Field(
        default=None,
        validation_alias=AliasChoices("LOG_FORMAT", "log_format"),
        description="json (one object per line) or text; json by default in production.",
    )

    @property
    def effective_log_format(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.env == "production" else "text"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("PUBLIC_BASE_URL must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _base_url_follows_port(self) -> AppSettings:
        """Without PUBLIC_BASE_URL, hook URLs point at the address this process listens on."""
        if "public_base_url" not in self.model_fields_set:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
            self.public_base_url = f"http://{host}:{self.port}"
        return self


class DatabaseSettings(BaseSettings):
    """Where events, runs and workflows live (the source of truth)."""

    model_config = ENV_GROUP

    url: str = Field(
        default="sqlite:///hookline.db",
        validation_alias=AliasChoices("DATABASE_URL", "url"),
    )
    echo: bool = Field(default=False, validation_alias=AliasChoices("DATABASE_ECHO", "echo"))

    @field_validator("url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(
            ("sqlite:", "sqlite+", "postgres://", "postgresql:", "postgresql+")
        ):
            raise ValueError(
                "DATABASE_URL must be sqlite:///path/to/file.db or postgresql://user:password@"
                f"host/database (it starts with {value.split(':', 1)[0]!r})."
            )
        return value

    @property
    def async_url(self) -> str:
        """The URL with the async driver SQLAlchemy needs (Heroku's `postgres://` accepted)."""
        url = self.url
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.async_url.startswith("sqlite")


class BrokerSettings(BaseSettings):
    """The message broker that carries run ids to workers (never payloads)."""

    model_config = ENV_GROUP

    url: str = Field(
        default="stub://",
        validation_alias=AliasChoices("BROKER_URL", "REDIS_URL", "url"),
        description="stub:// (in-process), redis://…, rediss://… or amqp://…",
    )
    queue_name: str = Field(
        default="hookline", validation_alias=AliasChoices("BROKER_QUEUE", "queue_name")
    )
    worker_threads: int = Field(
        default=8, ge=1, validation_alias=AliasChoices("WORKER_THREADS", "worker_threads")
    )
    sweep_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        validation_alias=AliasChoices("SWEEP_INTERVAL_SECONDS", "sweep_interval"),
    )
    retry_max_tries: int = Field(
        default=8,
        ge=1,
        le=20,
        validation_alias=AliasChoices("RETRY_MAX_TRIES", "retry_max_tries"),
        description="Tries per step for temporary failures (timeouts, 408, 429, 5xx).",
    )
    retry_first_delay_seconds: float = Field(
        default=40.0,
        gt=0,
        validation_alias=AliasChoices("RETRY_FIRST_DELAY_SECONDS", "retry_first_delay"),
        description="Wait before the 2nd try; each later wait is 3x longer (±20 %).",
    )
    embedded_worker: Literal["process", "inline"] = Field(
        default="process",
        validation_alias=AliasChoices("EMBEDDED_WORKER", "embedded_worker"),
        description="`hookline serve` with stub://: steps in a supervised child process "
        "(process, uses a second core) or on the web's own event loop (inline).",
    )
    embedded_steps_at_once: int = Field(
        default=128,
        ge=1,
        le=1024,
        validation_alias=AliasChoices("EMBEDDED_STEPS_AT_ONCE", "embedded_steps_at_once"),
        description="Steps the worker of `hookline serve` (stub://) runs at the same time; "
        "at 128 delivery keeps up with intake on 2 cores (bench/README.md, fifth pass).",
    )
    lease_seconds: float = Field(
        default=120.0,
        gt=0,
        validation_alias=AliasChoices("RUN_LEASE_SECONDS", "lease_seconds"),
        description="A step still running after this long is taken for lost (see Settings).",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("stub://", "redis://", "rediss://", "amqp://", "amqps://")):
            raise ValueError(
                "BROKER_URL must start with stub://, redis://, rediss:// or amqp:// "
                f"(got {value.split('://')[0]!r})"
            )
        return value

    @property
    def kind(self) -> Literal["stub", "redis", "rabbitmq"]:
        if self.url.startswith("redis"):
            return "redis"
        if self.url.startswith("amqp"):
            return "rabbitmq"
        return "stub"
