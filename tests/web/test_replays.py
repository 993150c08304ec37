"""Held events run after turning a workflow back on; a run can be replayed."""

from __future__ import annotations

import json

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.worker.conftest import BASE, create_workflow, http_step


async def _runs(client: AsyncTestClient, user: ApiUser, workflow_id: int) -> list[dict]:
    page = await client.get(f"/api/v1/workflows/{workflow_id}/runs", headers=user.headers)
    return page.json()["items"]


async def test_held_events_run_in_arrival_order_after_turning_on(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    workflow = await create_workflow(
        client, api_user, [http_step(sink.url("/in"), body='{"n": "{{ trigger.body.n }}"}')]
    )
    path = workflow["hook_url"].removeprefix(BASE)
    off = await client.put(
        f"/api/v1/workflows/{workflow['id']}", json={"enabled": False}, headers=api_user.headers
    )
    assert off.status_code == 200 and off.json()["steps"], "a partial update keeps the steps"
    for n in range(3):
        assert (await client.post(path, json={"n": n})).status_code == 202
    assert await _runs(client, api_user, workflow["id"]) == []

    await client.put(
        f"/api/v1/workflows/{workflow['id']}", json={"enabled": True}, headers=api_user.headers
    )
    started = await client.post(
        f"/api/v1/workflows/{workflow['id']}/run-held", headers=api_user.headers
    )
    assert started.status_code == 201
    assert len(started.json()["run_ids"]) == 3

    await wait_for(lambda: len(sink.received) == 3)
    assert sorted(json.loads(r.body)["n"] for r in sink.received) == [0, 1, 2]
    runs = sorted(await _runs(client, api_user, workflow["id"]), key=lambda r: r["id"])
    assert [r["event_id"] for r in runs] == sorted(r["event_id"] for r in runs), (
        "started in arrival order"
    )
    again = await client.post(
        f"/api/v1/workflows/{workflow['id']}/run-held", headers=api_user.headers
    )
    assert again.json()["run_ids"] == [], "held events run once"


async def test_replay_runs_the_event_again_with_current_steps(
    client: AsyncTestClient, api_user: ApiUser, other_user: ApiUser, sink: LocalServer
) -> None:
    workflow = await create_workflow(client, api_user, [http_step(sink.url("/first"))])
    await client.post(workflow["hook_url"].removeprefix(BASE), json={"a": 1})

    async def finished() -> dict | None:
        runs = await _runs(client, api_user, workflow["id"])
        return runs[0] if runs and runs[0]["status"] == "succeeded" else None

    first = await wait_for(finished)
    await client.put(
        f"/api/v1/workflows/{workflow['id']}",
        json={"steps": [http_step(sink.url("/second"))]},
        headers=api_user.headers,
    )
    assert (
        await client.post(f"/api/v1/runs/{first['id']}/replay", headers=other_user.headers)
    ).status_code == 404
    replayed = await client.post(f"/api/v1/runs/{first['id']}/replay", headers=api_user.headers)
    assert replayed.status_code == 201
    await wait_for(lambda: [r.path for r in sink.received] == ["/first", "/second"])
    runs = await _runs(client, api_user, workflow["id"])
    assert runs[0]["event_id"] == first["event_id"] and runs[0]["id"] != first["id"]


async def test_partial_update_keeps_signature_checks(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    created = await client.post(
        "/api/v1/workflows",
        json={
            "name": "signed",
            "steps": [],
            "trigger": {"signature": {"preset": "github", "secret": "topsecret-abcd"}},
        },
        headers=api_user.headers,
    )
    workflow = created.json()
    renamed = await client.put(
        f"/api/v1/workflows/{workflow['id']}", json={"name": "renamed"}, headers=api_user.headers
    )
    assert renamed.json()["trigger"]["signature"]["preset"] == "github"
    forged = await client.post(workflow["hook_url"].removeprefix(BASE), json={"x": 1})
    assert forged.status_code == 401
