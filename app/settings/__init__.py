"""Hookline's settings tree: every knob an operator can turn, read from the environment.

Groups mirror the parts of the product (app, database, broker, inbound, outbound,
auth, secrets).
Heroku names are honoured (`PORT`, `DATABASE_URL` with `postgres://`, `REDIS_URL`).
Nothing here imports from the rest of `app`; tests build `Settings(...)` directly.
Each group lives in a submodule; new groups get their own module and a field here.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field, model_validator

from app.settings.access import (
    GOOGLE_DISCOVERY_URL,
    AuthSettings,
    SecretsSettings,
    SignInProvider,
    providers_from_environ,
)
from app.settings.alerts import AlertSettings, ScheduleSettings
from app.settings.core import (
    DEV_SECRET_KEY,
    ENV_GROUP,
    AppSettings,
    BrokerSettings,
    DatabaseSettings,
    SettingsError,
)
from app.settings.traffic import HistorySettings, InboundSettings, IPNetwork, OutboundSettings

__all__ = [
    "DEV_SECRET_KEY",
    "ENV_GROUP",
    "GOOGLE_DISCOVERY_URL",
    "AlertSettings",
    "AppSettings",
    "AuthSettings",
    "BrokerSettings",
    "DatabaseSettings",
    "HistorySettings",
    "IPNetwork",
    "InboundSettings",
    "OutboundSettings",
    "ScheduleSettings",
    "SecretsSettings",
    "Settings",
    "SettingsError",
    "SignInProvider",
    "providers_from_environ",
]

log = logging.getLogger("hookline.settings")
LEASE_OVER_STEP_TIME = 1.5  # how much longer than the longest step a run's lease must be


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
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    schedules: ScheduleSettings = Field(default_factory=ScheduleSettings)

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

    @model_validator(mode="after")
    def _lease_outlasts_a_step(self) -> Settings:
        """A step may take OUTBOUND_TOTAL_TIMEOUT; a lease that ends sooner makes the
        sweeper take a step that is still running for a lost one (and send it again)."""
        lease, total = self.broker.lease_seconds, self.outbound.total_timeout
        if lease < LEASE_OVER_STEP_TIME * total:
            raise SettingsError(
                f"RUN_LEASE_SECONDS ({lease:g}) must be comfortably longer than "
                f"OUTBOUND_TOTAL_TIMEOUT ({total:g}): at least {LEASE_OVER_STEP_TIME:g} times "
                f"it, so {LEASE_OVER_STEP_TIME * total:g} or more. Otherwise a step that is "
                "still running is taken for lost and may be sent twice."
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
