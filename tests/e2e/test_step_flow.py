"""Control-flow steps through the whole app and worker: filtered runs, paths, delays."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.tables import Run, utcnow
from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer

PAYMENT = {"type": "payment_intent.succeeded", "data": {"object": {"amount": 2000}}}


async def start_run(client: AsyncTestClient, user: ApiUser, steps: list[dict[str, Any]]) -> int:  # type: ignore[type-arg]
    created = await client.post(
        "/api/v1/workflows", json={"name": "Flow", "steps": steps}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    workflow = created.json()
    hook = workflow["hook_url"].removeprefix("http://testserver.local")
    answer = await client.post(hook, json=PAYMENT)
    assert answer.status_code == 202, answer.text
    runs = await wait_for(lambda: _runs(client, user, workflow["id"]), timeout=10)
    return int(runs[0]["id"])


async def _runs(client: AsyncTestClient, user: ApiUser, workflow_id: int) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    page = await client.get(f"/api/v1/workflows/{workflow_id}/runs", headers=user.headers)
    return list(page.json()["items"])


async def run_when(
    client: AsyncTestClient, user: ApiUser, run_id: int, *statuses: str
) -> dict[str, Any]:  # type: ignore[type-arg]
    async def settled() -> dict[str, Any] | None:
        run = (await client.get(f"/api/v1/runs/{run_id}", headers=user.headers)).json()
        return run if run["status"] in statuses else None

    return await wait_for(settled)  # type: ignore[no-any-return]


def over(amount: int) -> dict[str, str]:
    return {
        "field": "{{ trigger.body.data.object.amount }}",
        "operator": "greater_than",
        "value": str(amount),
    }


def post_to(sink: LocalServer, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "http_request", "config": {"url": sink.url("/in"), "body": body}}


async def test_failing_filter_marks_the_run_filtered_and_stops_it(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    steps = [{"type": "filter", "config": {"conditions": [over(5000)]}}, post_to(sink, {"x": 1})]

    run = await run_when(
        client,
        api_user,
        await start_run(client, api_user, steps),
        "filtered",
        "failed",
        "succeeded",
    )

    assert run["status"] == "filtered"
    assert run["error"] is None
    assert [(s["type"], s["status"]) for s in run["steps"]] == [("filter", "filtered")]
    assert sink.received == []


async def test_paths_run_the_matching_branch_with_earlier_outputs(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    steps = [
        {
            "type": "formatter",
            "config": {"operation": "text_upper", "input": "{{ trigger.body.type }}"},
        },
        {
            "type": "paths",
            "config": {
                "branches": [
                    {
                        "name": "Huge",
                        "conditions": [over(10_000)],
                        "steps": [post_to(sink, {"path": "huge"})],
                    },
                    {
                        "name": "Big",
                        "conditions": [over(1000)],
                        "steps": [
                            post_to(
                                sink,
                                {
                                    "kind": "{{ steps[0].value }}",
                                    "path": "{{ steps[1].path.branch }}",
                                },
                            )
                        ],
                    },
                ],
                "fallback": {"steps": [post_to(sink, {"path": "fallback"})]},
            },
        },
    ]

    run = await run_when(
        client,
        api_user,
        await start_run(client, api_user, steps),
        "succeeded",
        "failed",
        "filtered",
    )

    assert run["status"] == "succeeded", run
    assert [s["type"] for s in run["steps"]] == ["formatter", "paths", "http_request"]
    assert [json.loads(r.body) for r in sink.received] == [
        {"kind": "PAYMENT_INTENT.SUCCEEDED", "path": "Big"}
    ]


async def test_short_delay_waits_then_continues_without_blocking(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    steps = [
        {"type": "delay", "config": {"mode": "for", "amount": 1.5, "unit": "seconds"}},
        post_to(sink, {"after": "delay"}),
    ]
    started = time.monotonic()

    run = await run_when(
        client, api_user, await start_run(client, api_user, steps), "succeeded", "failed"
    )

    assert run["status"] == "succeeded", run
    assert time.monotonic() - started >= 1.5
    assert [s["type"] for s in run["steps"]] == ["delay", "http_request"]
    assert len(sink.received) == 1


async def test_long_delay_leaves_the_run_to_the_sweeper_until_the_wake_time(
    client: AsyncTestClient, api_user: ApiUser, settings: Settings, sink: LocalServer
) -> None:
    steps = [
        {"type": "delay", "config": {"mode": "for", "amount": 3, "unit": "hours"}},
        post_to(sink, {"after": "delay"}),
    ]
    run_id = await start_run(client, api_user, steps)

    async def delay_recorded() -> dict[str, Any] | None:
        run = (await client.get(f"/api/v1/runs/{run_id}", headers=api_user.headers)).json()
        return run if run["steps"] and run["steps"][0]["status"] == "succeeded" else None

    run = await wait_for(delay_recorded)
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            stored = await session.get(Run, run_id)
            assert stored is not None
            lease_until, plan = stored.lease_until, stored.plan
    finally:
        await engine.dispose()

    assert run["status"] == "running"
    assert len(run["steps"]) == 1
    assert lease_until is not None
    assert abs(lease_until - (utcnow() + timedelta(hours=3))) < timedelta(minutes=1)
    assert "not_before" in plan[1]
    assert sink.received == []
