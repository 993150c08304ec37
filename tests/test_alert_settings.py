"""Alert and schedule settings come from the environment, and the SMTP password stays hidden."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


def test_alert_settings_default_to_dashboard_only_with_pause_after_20(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SMTP_HOST", "AUTO_PAUSE_AFTER_FAILURES", "ALERT_MIN_INTERVAL_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert not settings.alerts.smtp_configured
    assert settings.alerts.auto_pause_after_failures == 20
    assert settings.alerts.min_interval_seconds == 3600


def test_alert_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("SMTP_PORT", "465")
    monkeypatch.setenv("SMTP_TLS", "ssl")
    monkeypatch.setenv("SMTP_USER", "alerts")
    monkeypatch.setenv("SMTP_PASSWORD", "pw-that-must-not-leak")
    monkeypatch.setenv("SMTP_FROM", "Hookline <alerts@example.com>")
    monkeypatch.setenv("AUTO_PAUSE_AFTER_FAILURES", "5")
    monkeypatch.setenv("SCHEDULE_CHECK_INTERVAL_SECONDS", "2")
    settings = Settings()
    alerts = settings.alerts
    assert alerts.smtp_configured and alerts.smtp_port == 465 and alerts.smtp_tls == "ssl"
    assert alerts.smtp_from == "Hookline <alerts@example.com>"
    assert alerts.auto_pause_after_failures == 5
    assert settings.schedules.check_interval_seconds == 2
    assert alerts.smtp_password is not None
    assert alerts.smtp_password.get_secret_value() == "pw-that-must-not-leak"
    assert "pw-that-must-not-leak" not in repr(settings)


def test_a_wrong_smtp_tls_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_TLS", "tls-please")
    with pytest.raises(ValidationError, match="starttls"):
        Settings()
