"""Settings groups for telling owners about trouble, and for the clock's schedule checks.

`AlertSettings`: the operator's SMTP server that failure alerts are sent through, how
often one workflow may alert, and after how many failed runs in a row it is paused.
`ScheduleSettings`: how often the clock looks for scheduled workflows that are due.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings

from app.settings.core import ENV_GROUP


class AlertSettings(BaseSettings):
    """Failure alert e-mails and auto-pause."""

    model_config = ENV_GROUP

    smtp_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SMTP_HOST", "smtp_host"),
        description="Mail server for alert e-mails; unset = alerts only on the dashboard.",
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, validation_alias=AliasChoices("SMTP_PORT", "smtp_port")
    )
    smtp_user: str | None = Field(
        default=None, validation_alias=AliasChoices("SMTP_USER", "smtp_user")
    )
    smtp_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SMTP_PASSWORD", "smtp_password")
    )
    smtp_from: str = Field(
        default="hookline@localhost",
        validation_alias=AliasChoices("SMTP_FROM", "smtp_from"),
        description="Sender address of alert e-mails.",
    )
    smtp_tls: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", validation_alias=AliasChoices("SMTP_TLS", "smtp_tls")
    )
    min_interval_seconds: float = Field(
        default=3600.0,
        gt=0,
        validation_alias=AliasChoices("ALERT_MIN_INTERVAL_SECONDS", "min_interval_seconds"),
        description="At most one failure alert per workflow in this time.",
    )
    check_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        validation_alias=AliasChoices("ALERT_CHECK_INTERVAL_SECONDS", "check_interval_seconds"),
    )
    auto_pause_after_failures: int = Field(
        default=20,
        ge=0,
        validation_alias=AliasChoices("AUTO_PAUSE_AFTER_FAILURES", "auto_pause_after_failures"),
        description="Failed runs in a row that turn a workflow off (0 = never).",
    )

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)


class ScheduleSettings(BaseSettings):
    """The clock's look at scheduled workflows."""

    model_config = ENV_GROUP

    check_interval_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices("SCHEDULE_CHECK_INTERVAL_SECONDS", "check_interval_seconds"),
        description="How often the clock starts runs of scheduled workflows that are due.",
    )
