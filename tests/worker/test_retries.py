"""Temporary failures are tried again with backoff; permanent ones fail at once."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from app.settings import Settings
from app.workflows.retries import RetryPolicy, retry_delay, total_retry_window
from tests.conftest import ApiUser
from tests.support.local_http import LocalServer
from tests.worker.conftest import (
    app_client,
    create_workflow,
    http_step,
    latest_finished_run,
    post_hook,
)


def test_default_policy_makes_8_tries_over_about_12_hours() -> None:
    policy = RetryPolicy()
    window = total_retry_window(policy)
    assert timedelta(hours=11) < window < timedelta(hours=13)
    assert retry_delay(policy, attempt=8, retry_after_seconds=None) is None


@pytest.mark.parametrize("attempt", [1, 2, 3, 7])
def test_backoff_grows_with_jitter_inside_20_percent(attempt: int) -> None:
    policy = RetryPolicy()
    nominal = 40 * 3 ** (attempt - 1)
    delays = [
        retry_delay(policy, attempt=attempt, retry_after_seconds=None, rng=random.Random(seed))
        for seed in range(50)
    ]
    seconds = [d.total_seconds() for d in delays if d is not None]
    assert len(seconds) == 50
    assert all(0.8 * nominal <= s <= 1.2 * nominal for s in seconds)
    assert len(set(seconds)) > 1  # jitter spreads retries out


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy()
    assert retry_delay(policy, attempt=1, retry_after_seconds=7) == timedelta(seconds=7)
    assert retry_delay(policy, attempt=1, retry_after_seconds=10**9) == timedelta(hours=1)


@pytest.fixture
def retrying_settings(settings: Settings) -> Settings:
    broker = settings.broker.model_copy(
        update={"retry_max_tries": 3, "retry_first_delay_seconds": 0.2}
    )
    return settings.model_copy(update={"broker": broker})


@pytest.mark.parametrize("path", ["/status/503", "/status/429?retry_after=1", "/status/408"])
async def test_temporary_failure_is_retried_until_tries_run_out(
    retrying_settings: Settings, api_user: ApiUser, sink: LocalServer, path: str
) -> None:
    async with app_client(retrying_settings) as client:
        workflow = await create_workflow(client, api_user, [http_step(sink.url(path))])
        await post_hook(client, workflow, b"{}")
        run = await latest_finished_run(client, api_user, workflow["id"])
    assert run["status"] == "failed"
    assert [s["status"] for s in run["steps"]] == ["retry_scheduled", "retry_scheduled", "failed"]
    assert [s["attempt"] for s in run["steps"]] == [1, 2, 3]
    assert ". Try 2 of 3 is due at" in run["steps"][0]["error"]
    assert "gave up after 3 tries" in run["error"]
    assert len(sink.received) == 3


async def test_client_error_fails_at_once(
    retrying_settings: Settings, api_user: ApiUser, sink: LocalServer
) -> None:
    async with app_client(retrying_settings) as client:
        workflow = await create_workflow(client, api_user, [http_step(sink.url("/status/404"))])
        await post_hook(client, workflow, b"{}")
        run = await latest_finished_run(client, api_user, workflow["id"])
    assert run["status"] == "failed"
    assert [s["status"] for s in run["steps"]] == ["failed"]
    assert len(sink.received) == 1


async def test_retries_repeat_one_step_never_the_chain(
    retrying_settings: Settings, api_user: ApiUser, sink: LocalServer
) -> None:
    async with app_client(retrying_settings) as client:
        workflow = await create_workflow(
            client, api_user, [http_step(sink.url("/ok")), http_step(sink.url("/status/500"))]
        )
        await post_hook(client, workflow, b"{}")
        run = await latest_finished_run(client, api_user, workflow["id"])
    assert [s["step_index"] for s in run["steps"]] == [0, 1, 1, 1]
    assert [r.path for r in sink.received].count("/ok") == 1
