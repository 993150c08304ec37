"""The worker's kept step configs: edits and new secrets take effect, bad configs keep failing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from app.integrations.registry import UnknownActionType
from app.settings import AppSettings, Settings
from app.store.sealing import seal_secrets, vault_for
from app.worker.step_configs import StepConfigs, invalid_settings

SETTINGS = Settings(app=AppSettings(env="test", secret_key="s" * 40))


def http_step(url: str, **config: Any) -> dict[str, Any]:
    return {"type": "http_request", "config": {"method": "POST", "url": url, **config}}


def test_an_edited_step_runs_with_its_new_settings() -> None:
    configs = StepConfigs(SETTINGS)
    assert str(configs.open(http_step("https://a.example/")).config.url) == "https://a.example/"  # type: ignore[attr-defined]
    edited = configs.open(http_step("https://b.example/"))
    assert str(edited.config.url) == "https://b.example/"  # type: ignore[attr-defined]


def test_sealed_secrets_are_opened_and_listed_for_scrubbing() -> None:
    configs = StepConfigs(SETTINGS)
    vault = vault_for(SETTINGS)
    for token in ("first-secret-token-value", "second-secret-token-value"):
        sealed = seal_secrets({"headers": {"Authorization": token}}, vault)
        ready = configs.open(http_step("https://a.example/", **sealed))
        assert ready.opened["headers"]["Authorization"] == token
        assert token in ready.secrets


def test_the_same_stored_step_is_opened_once() -> None:
    configs = StepConfigs(SETTINGS)
    first = configs.open(http_step("https://a.example/"))
    assert configs.open(http_step("https://a.example/")) is first


def test_only_the_most_recent_configs_are_kept() -> None:
    configs = StepConfigs(SETTINGS, size=2)
    first = configs.open(http_step("https://a.example/"))
    configs.open(http_step("https://b.example/"))
    configs.open(http_step("https://c.example/"))
    again = configs.open(http_step("https://a.example/"))
    assert again is not first and again == first


def test_a_config_that_is_not_plain_json_still_opens() -> None:
    step = http_step("https://a.example/", timeout_seconds=Decimal("2.5"))
    assert StepConfigs(SETTINGS).open(step).config.timeout_seconds == 2.5  # type: ignore[attr-defined]


def test_invalid_settings_fail_every_time() -> None:
    configs = StepConfigs(SETTINGS)
    for _ in range(2):
        with pytest.raises(ValidationError):
            configs.open(http_step("https://a.example/", method="FETCH"))
    with pytest.raises(UnknownActionType):
        configs.open({"type": "teleport", "config": {}})


def test_a_stored_step_that_no_longer_validates_says_why_in_plain_words() -> None:
    """E.g. a step saved before framing headers were refused: the run names the header."""
    step = http_step("https://a.example/", headers={"Transfer-Encoding": "chunked"})
    with pytest.raises(ValidationError) as raised:
        StepConfigs(SETTINGS).open(step)
    assert invalid_settings(raised.value) == (
        "This step's settings are invalid: headers: Hookline sets the "
        '"Transfer-Encoding" header itself; remove it from the headers.'
    )
