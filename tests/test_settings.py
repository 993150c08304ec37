"""Settings read from the environment: defaults, Heroku names, and refusals that protect operators."""

from __future__ import annotations

import ipaddress
import logging

import pytest
from pydantic import ValidationError

from app.settings import DEV_SECRET_KEY, Settings

OUR_VARIABLES = (
    "HOOKLINE_ENV",
    "SECRET_KEY",
    "PUBLIC_BASE_URL",
    "PORT",
    "HOST",
    "DATABASE_URL",
    "BROKER_URL",
    "REDIS_URL",
    "OUTBOUND_ALLOW_NETWORKS",
)
GOOD_SECRET = "a-long-random-production-secret-value"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in OUR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_defaults_are_the_embedded_single_process_setup() -> None:
    settings = Settings()
    assert settings.app.env == "dev"
    assert settings.app.port == 8000
    assert settings.database.url == "sqlite:///hookline.db"
    assert settings.database.async_url == "sqlite+aiosqlite:///hookline.db"
    assert settings.broker.kind == "stub"
    assert settings.outbound.allow_networks == ()
    assert settings.hook_url("abc") == "http://127.0.0.1:8000/hooks/abc"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgresql://u:p@db/app", "postgresql+asyncpg://u:p@db/app"),
        ("sqlite:////var/data/hookline.db", "sqlite+aiosqlite:////var/data/hookline.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_settings_database_url_gets_the_async_driver(
    clean_environ: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    clean_environ.setenv("DATABASE_URL", given)
    clean_environ.setenv("SECRET_KEY", GOOD_SECRET)
    assert Settings().database.async_url == expected


@pytest.mark.parametrize(
    ("variable", "url", "kind"),
    [
        ("BROKER_URL", "redis://cache:6379/0", "redis"),
        ("BROKER_URL", "rediss://cache:6380/0", "redis"),
        ("BROKER_URL", "amqp://guest:guest@mq:5672/%2F", "rabbitmq"),
        ("REDIS_URL", "redis://heroku-redis:6379", "redis"),
    ],
)
def test_settings_broker_url_selects_the_broker(
    clean_environ: pytest.MonkeyPatch, variable: str, url: str, kind: str
) -> None:
    clean_environ.setenv(variable, url)
    broker = Settings().broker
    assert broker.kind == kind
    assert broker.url == url


def test_settings_unknown_broker_scheme_is_refused(clean_environ: pytest.MonkeyPatch) -> None:
    clean_environ.setenv("BROKER_URL", "kafka://somewhere")
    with pytest.raises(ValidationError, match="BROKER_URL must start with"):
        Settings()


def test_settings_outbound_allow_networks_reads_comma_separated_cidrs(
    clean_environ: pytest.MonkeyPatch,
) -> None:
    clean_environ.setenv("OUTBOUND_ALLOW_NETWORKS", "127.0.0.0/8, 10.1.2.3 ,fd00::/8")
    assert Settings().outbound.allow_networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("10.1.2.3/32"),
        ipaddress.ip_network("fd00::/8"),
    )


def test_settings_outbound_allow_networks_garbage_names_the_variable(
    clean_environ: pytest.MonkeyPatch,
) -> None:
    clean_environ.setenv("OUTBOUND_ALLOW_NETWORKS", "127.0.0.0/8,not-a-network")
    with pytest.raises(ValidationError, match="OUTBOUND_ALLOW_NETWORKS must be comma-separated"):
        Settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("HOOKLINE_ENV", "production"), ("DATABASE_URL", "postgres://u:p@db/app")],
)
def test_settings_dev_secret_key_is_refused_outside_dev(
    clean_environ: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    clean_environ.setenv(variable, value)
    with pytest.raises(ValueError, match="SECRET_KEY is not set"):
        Settings()
    clean_environ.setenv("SECRET_KEY", GOOD_SECRET)
    assert Settings().app.secret_key == GOOD_SECRET


def test_settings_short_secret_key_is_refused(clean_environ: pytest.MonkeyPatch) -> None:
    clean_environ.setenv("SECRET_KEY", "short")
    with pytest.raises(ValueError, match="at least 16 characters"):
        Settings()


def test_settings_dev_secret_key_is_accepted_in_dev_with_a_loud_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The warning is what an operator sees in the terminal, so it is the behaviour here.
    settings = Settings()
    assert settings.app.secret_key == DEV_SECRET_KEY
    with caplog.at_level(logging.WARNING, logger="hookline.settings"):
        settings.warn_if_insecure()
    assert "development SECRET_KEY" in caplog.text


def test_settings_port_and_public_base_url_are_honoured(clean_environ: pytest.MonkeyPatch) -> None:
    clean_environ.setenv("PORT", "5123")
    clean_environ.setenv("PUBLIC_BASE_URL", "https://hooks.example.com/")
    settings = Settings()
    assert settings.app.port == 5123
    assert settings.hook_url("tok") == "https://hooks.example.com/hooks/tok"


def test_settings_public_base_url_without_scheme_is_refused(
    clean_environ: pytest.MonkeyPatch,
) -> None:
    clean_environ.setenv("PUBLIC_BASE_URL", "hooks.example.com")
    with pytest.raises(ValidationError, match="PUBLIC_BASE_URL must start with"):
        Settings()


def test_hook_urls_follow_the_port_when_no_public_address_is_set(
    clean_environ: pytest.MonkeyPatch,
) -> None:
    clean_environ.setenv("PORT", "8765")
    assert Settings().hook_url("abc") == "http://127.0.0.1:8765/hooks/abc"
    clean_environ.setenv("PUBLIC_BASE_URL", "https://hooks.example.com/")
    assert Settings().hook_url("abc") == "https://hooks.example.com/hooks/abc"
