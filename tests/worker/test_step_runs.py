"""Running steps through the real worker: lost messages, redelivery, and clear step errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient

from app.settings import OutboundSettings, Settings
from tests.conftest import ApiUser
from tests.support.local_http import LocalServer
from tests.worker.conftest import (
    app_client,
    create_workflow,
    drain,
    finished_run,
    http_step,
    insert_run_without_enqueueing,
    latest_finished_run,
    post_hook,
)

ALL_BROKERS = pytest.mark.parametrize("broker_url", ["stub", "redis", "rabbitmq"], indirect=True)


@ALL_BROKERS
async def test_sweeper_completes_a_run_whose_message_was_lost(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    step = http_step(sink.url("/lost"), body={"said": "{{ trigger.body.hello }}"})
    workflow = await create_workflow(client, api_user, [step])
    run_id = await insert_run_without_enqueueing(client, workflow["id"], [step], lease=timedelta(0))

    run = await finished_run(client, api_user, run_id)
    assert run["status"] == "succeeded", run
    assert [json.loads(r.body) for r in sink.received] == [{"said": "world"}]


@ALL_BROKERS
async def test_redelivered_message_after_completion_does_not_call_twice(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    workflow = await create_workflow(client, api_user, [http_step(sink.url("/once"))])
    await post_hook(client, workflow, b'{"n": 1}')
    run = await latest_finished_run(client, api_user, workflow["id"])
    assert run["status"] == "succeeded"

    client.app.state.dispatcher.run_step(run["id"])
    client.app.state.dispatcher.run_step(run["id"])
    await drain(client)

    again = (await client.get(f"/api/v1/runs/{run['id']}", headers=api_user.headers)).json()
    assert len(sink.received) == 1
    assert [(s["step_index"], s["attempt"]) for s in again["steps"]] == [(0, 1)]
    assert again["status"] == "succeeded"


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"type": "no_such_action", "config": {}}, 'no action type called "no_such_action"'),
        (
            {"type": "http_request", "config": {"method": "FETCH", "url": "http://x.example"}},
            "This step's settings are invalid: method",
        ),
    ],
)
async def test_step_that_cannot_run_fails_the_run_with_a_clear_message(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer, step: dict, expected: str
) -> None:
    workflow = await create_workflow(client, api_user, [http_step(sink.url("/"))])
    run_id = await insert_run_without_enqueueing(client, workflow["id"], [step], lease=timedelta(0))
    run = await finished_run(client, api_user, run_id)
    assert run["status"] == "failed"
    assert expected in run["steps"][0]["error"]
    assert expected in run["error"]
    assert sink.received == []


async def test_call_to_loopback_is_refused_unless_allowed(
    settings: Settings, api_user: ApiUser, sink: LocalServer
) -> None:
    closed = settings.model_copy(update={"outbound": OutboundSettings(allow_networks=())})
    async with app_client(closed) as client:
        workflow = await create_workflow(client, api_user, [http_step(sink.url("/private"))])
        await post_hook(client, workflow, b"{}")
        run = await latest_finished_run(client, api_user, workflow["id"])
    assert run["status"] == "failed"
    assert "Hookline does not call private or local addresses" in run["steps"][0]["error"]
    assert sink.received == []


async def test_missing_template_value_warns_naming_path_and_existing_keys(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    step = http_step(
        sink.url("/w"),
        headers={"Content-Type": "text/plain"},
        body="who={{ trigger.body.user.nmae }};",
    )
    workflow = await create_workflow(client, api_user, [step])
    await post_hook(client, workflow, b'{"user": {"name": "Ada", "id": 7}}')
    run = await latest_finished_run(client, api_user, workflow["id"])

    assert run["status"] == "succeeded"
    assert sink.received[0].body == b"who=;"
    [warning] = run["steps"][0]["warnings"]
    assert "trigger.body.user.nmae" in warning
    assert "name" in warning and "id" in warning


async def test_missing_template_value_with_strict_templates_fails_naming_path(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    step = http_step(
        sink.url("/s"), body={"who": "{{ trigger.body.user.nmae }}"}, strict_templates=True
    )
    workflow = await create_workflow(client, api_user, [step])
    await post_hook(client, workflow, b'{"user": {"name": "Ada"}}')
    run = await latest_finished_run(client, api_user, workflow["id"])

    assert run["status"] == "failed"
    assert "trigger.body.user.nmae" in run["steps"][0]["error"]
    assert sink.received == []


async def test_big_response_is_stored_truncated_and_says_so(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    step = {
        "type": "http_request",
        "config": {"method": "GET", "url": sink.url("/big?bytes=300000")},
    }
    workflow = await create_workflow(client, api_user, [step])
    await post_hook(client, workflow, b"{}")
    run = await latest_finished_run(client, api_user, workflow["id"])

    response = run["steps"][0]["response"]
    assert run["status"] == "succeeded"
    assert response["body_truncated"] is True
    assert 0 < len(response["body"]) < 300_000


@ALL_BROKERS
async def test_failing_destination_fails_the_run_with_its_status(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    workflow = await create_workflow(
        client, api_user, [http_step(sink.url("/status/500")), http_step(sink.url("/never"))]
    )
    await post_hook(client, workflow, b"{}")
    run = await latest_finished_run(client, api_user, workflow["id"])

    assert run["status"] == "failed"
    assert "500" in run["error"]
    assert run["steps"][0]["response"]["status"] == 500
    assert [r.path for r in sink.received] == ["/status/500"]
