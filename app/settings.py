"""Hookline's settings tree: every knob an operator can turn, read from the environment.

Groups mirror the parts of the product (app, database, broker, inbound, outbound,
auth, secrets).
Heroku names are honoured (`PORT`, `DATABASE_URL` with `postgres://`, `REDIS_URL`).
Nothing here imports from the rest of `app`; tests build `Settings(...)` directly.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - the known placeholder
log = logging.getLogger("hookline.settings")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    port: int = Field(default=8000, validation_alias=AliasChoices("PORT", "port"))
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "host"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))

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
        default=8, validation_alias=AliasChoices("WORKER_THREADS", "worker_threads")
    )
    sweep_interval_seconds: float = Field(
        default=15.0, validation_alias=AliasChoices("SWEEP_INTERVAL_SECONDS", "sweep_interval")
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
    lease_seconds: float = Field(
        default=120.0, validation_alias=AliasChoices("RUN_LEASE_SECONDS", "lease_seconds")
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


SignInKind = Literal["oidc", "github"]
GOOGLE_DISCOVERY_URL = "https://accounts.google.com/.well-known/openid-configuration"
_OIDC_VARIABLE = re.compile(r"^OIDC_([A-Z0-9]+)_DISCOVERY_URL$")


class SignInProvider(BaseModel):
    """One OAuth/OIDC provider people may sign in with (enabled by its client id/secret)."""

    name: str = Field(pattern=r"^[a-z0-9]+$", description="URL name: /auth/<name>/callback")
    label: str
    kind: SignInKind = "oidc"
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    discovery_url: str | None = None
    scope: str = "openid email profile"
    github_web_url: str = "https://github.com"
    github_api_url: str = "https://api.github.com"


def providers_from_environ(environ: Mapping[str, str] | None = None) -> tuple[SignInProvider, ...]:
    """Google, GitHub and any `OIDC_<NAME>_*` provider whose client id and secret are set."""
    env = os.environ if environ is None else environ
    found: list[SignInProvider] = []
    if env.get("OAUTH_GOOGLE_CLIENT_ID") and env.get("OAUTH_GOOGLE_CLIENT_SECRET"):
        found.append(
            SignInProvider(
                name="google",
                label="Google",
                client_id=env["OAUTH_GOOGLE_CLIENT_ID"],
                client_secret=env["OAUTH_GOOGLE_CLIENT_SECRET"],
                discovery_url=GOOGLE_DISCOVERY_URL,
            )
        )
    if env.get("OAUTH_GITHUB_CLIENT_ID") and env.get("OAUTH_GITHUB_CLIENT_SECRET"):
        found.append(
            SignInProvider(
                name="github",
                label="GitHub",
                kind="github",
                client_id=env["OAUTH_GITHUB_CLIENT_ID"],
                client_secret=env["OAUTH_GITHUB_CLIENT_SECRET"],
                scope="read:user user:email",
            )
        )
    for variable in sorted(env):
        match = _OIDC_VARIABLE.match(variable)
        if match is None:
            continue
        prefix = f"OIDC_{match.group(1)}_"
        client_id, secret = env.get(prefix + "CLIENT_ID"), env.get(prefix + "CLIENT_SECRET")
        if not (client_id and secret):
            raise SettingsError(f"{variable} is set but {prefix}CLIENT_ID/CLIENT_SECRET are not.")
        found.append(
            SignInProvider(
                name=match.group(1).lower(),
                label=env.get(prefix + "LABEL") or match.group(1).title(),
                client_id=client_id,
                client_secret=secret,
                discovery_url=env[variable],
            )
        )
    return tuple(found)


class AuthSettings(BaseSettings):
    """Who may sign in, and how: local accounts, OAuth/OIDC providers, login limits."""

    model_config = ENV_GROUP

    local_accounts: bool = Field(
        default=True,
        validation_alias=AliasChoices("LOCAL_ACCOUNTS", "local_accounts"),
        description="E-mail + password accounts; always on when no provider is configured.",
    )
    providers: tuple[SignInProvider, ...] = Field(default_factory=providers_from_environ)
    login_max_failures_per_account: int = Field(
        default=5, validation_alias=AliasChoices("LOGIN_MAX_FAILURES", "login_max_failures")
    )
    login_max_failures_per_ip: int = Field(
        default=20,
        validation_alias=AliasChoices("LOGIN_MAX_FAILURES_PER_IP", "login_max_failures_per_ip"),
    )
    login_window_seconds: int = Field(
        default=900,
        validation_alias=AliasChoices("LOGIN_WINDOW_SECONDS", "login_window_seconds"),
    )
    provider_timeout: float = Field(
        default=10.0, validation_alias=AliasChoices("OAUTH_HTTP_TIMEOUT", "provider_timeout")
    )

    @property
    def local_enabled(self) -> bool:
        """Local accounts stay on when no provider exists, or nobody could ever sign in."""
        return self.local_accounts or not self.providers

    def provider(self, name: str) -> SignInProvider | None:
        return next((p for p in self.providers if p.name == name), None)

    @model_validator(mode="after")
    def _unique_names(self) -> AuthSettings:
        names = [p.name for p in self.providers]
        if len(names) != len(set(names)):
            raise ValueError(f"Two sign-in providers share a name: {names}")
        return self


class SecretsSettings(BaseSettings):
    """Keys that encrypt stored secrets (signing secrets, API keys, passwords in steps)."""

    model_config = ENV_GROUP

    encryption_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias=AliasChoices("ENCRYPTION_KEYS", "encryption_keys"),
        description="Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).",
    )

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        for key in value if isinstance(value, tuple | list) else ():
            try:
                Fernet(str(key).encode())
            except ValueError as exc:
                raise ValueError(
                    "ENCRYPTION_KEYS must be comma-separated Fernet keys; make one with "
                    "`python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`"
                ) from exc
        return value


class Settings(BaseModel):
    """The whole tree. `Settings()` reads the environment; tests pass groups explicitly."""

    app: AppSettings = Field(default_factory=AppSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    inbound: InboundSettings = Field(default_factory=InboundSettings)
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    history: HistorySettings = Field(default_factory=HistorySettings)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.app.secret_key != DEV_SECRET_KEY:
            if len(self.app.secret_key) < 16:
                raise SettingsError("SECRET_KEY must be at least 16 characters long.")
            return self
        if self.app.env == "production" or not self.database.is_sqlite:
            raise SettingsError(
                "SECRET_KEY is not set. Set SECRET_KEY to a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) "
                "before running with HOOKLINE_ENV=production or a server database."
            )
        return self

    def warn_if_insecure(self) -> None:
        """Log a loud warning when the development secret key is in use."""
        if self.app.secret_key == DEV_SECRET_KEY:
            log.warning(
                "!!! Hookline is using the built-in development SECRET_KEY. Sessions and "
                "stored secrets are NOT safe. Set SECRET_KEY before real use. !!!"
            )

    def hook_url(self, token: str) -> str:
        """The public inbound URL for a workflow's hook token."""
        return f"{self.app.public_base_url}/hooks/{token}"
