"""A destination that echoes the request back must not put the step's secrets in the run
history (run API, stored attempts, later steps' data) nor on the test-a-step panel."""

from __future__ import annotations

import base64

from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.web.step_trial import try_step
from app.workflows.definition import StepDefinition
from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.support.stored_rows import stored_rows
from tests.worker.conftest import create_workflow, http_step, latest_finished_run, post_hook

TOKEN = "bearer-echo-token-1111"
PASSWORD = "basic-echo-password-2222"
API_KEY = "api-echo-key-3333"
SLACK_PATH = "/mirror/services/T000/B000/slackechosecret4444"
BASIC = base64.b64encode(f"shop:{PASSWORD}".encode()).decode()
LEAKS = (TOKEN, PASSWORD, API_KEY, "slackechosecret4444", BASIC)


async def test_echoed_credentials_are_scrubbed_from_run_history(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    sink: LocalServer,
) -> None:
    mirror = sink.url("/mirror/in")
    steps = [
        http_step(mirror, auth="bearer", token=TOKEN),
        http_step(mirror, auth="basic", username="shop", password=PASSWORD),
        http_step(mirror, auth="api_key", api_key=API_KEY),
        {"type": "slack_message", "config": {"webhook_url": sink.url(SLACK_PATH), "text": "hi"}},
    ]
    workflow = await create_workflow(client, api_user, steps)
    await post_hook(client, workflow, b'{"a": 1}')
    run = await latest_finished_run(client, api_user, workflow["id"])
    await wait_for(lambda: len(sink.received) == 4)
    sent = repr([(r.path, r.headers) for r in sink.received])
    assert all(leak in sent for leak in LEAKS if leak != PASSWORD), "real values were sent"

    shown = (await client.get(f"/api/v1/runs/{run['id']}", headers=api_user.headers)).text
    assert not [leak for leak in LEAKS if leak in shown]
    assert "••••1111" in shown and "••••4444" in shown
    stored = await stored_rows(client, ("step_attempt",))
    assert not [leak for leak in LEAKS for row in stored if leak in row]


async def test_step_test_panel_scrubs_echoed_credentials(
    settings: Settings, sink: LocalServer
) -> None:
    step = StepDefinition(
        type="http_request",
        config={"url": sink.url("/mirror/try"), "auth": "bearer", "token": TOKEN},
    )
    trial = await try_step(settings, step, {"trigger": {"body": {}}, "steps": []}, number=1)
    assert trial.outcome == "succeeded", trial.result
    assert sink.received[0].header("Authorization") == f"Bearer {TOKEN}"
    assert trial.result is not None
    shown = repr((trial.result.request, trial.result.response, trial.result.output))
    assert TOKEN not in shown and "••••1111" in shown
