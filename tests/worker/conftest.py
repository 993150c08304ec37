"""Worker-layer helpers: the whole app with chosen settings, workflows via the API, runs via the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.events import record_event
from tests.conftest import ApiUser, wait_for
from tests.support.incoming import json_incoming

BASE = "http://testserver.local"


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The whole app (web + in-process worker + sweeper) for these settings."""
    from app.web.asgi import create_app

    app = create_app(settings, embedded_worker=True)
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        yield client


def http_step(url: str, **config: Any) -> dict[str, Any]:
    return {"type": "http_request", "config": {"method": "POST", "url": url, **config}}


async def create_workflow(
    client: AsyncTestClient, user: ApiUser, steps: list[dict[str, Any]]
) -> dict[str, Any]:  # type: ignore[type-arg]
    answer = await client.post(
        "/api/v1/workflows",
        json={"name": "Worker test", "enabled": True, "steps": steps},
        headers=user.headers,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def post_hook(client: AsyncTestClient, workflow: dict[str, Any], body: bytes) -> int:  # type: ignore[type-arg]
    path = workflow["hook_url"].removeprefix(BASE)
    answer = await client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 202, answer.text
    return int(answer.json()["event_id"])


async def finished_run(client: AsyncTestClient, user: ApiUser, run_id: int) -> dict[str, Any]:  # type: ignore[type-arg]
    async def done() -> dict[str, Any] | None:
        run = (await client.get(f"/api/v1/runs/{run_id}", headers=user.headers)).json()
        return run if run["status"] in ("succeeded", "failed") else None

    return await wait_for(done)  # type: ignore[no-any-return]


async def latest_finished_run(
    client: AsyncTestClient, user: ApiUser, workflow_id: int
) -> dict[str, Any]:  # type: ignore[type-arg]
    async def latest() -> int | None:
        page = (
            await client.get(f"/api/v1/workflows/{workflow_id}/runs", headers=user.headers)
        ).json()
        return page["items"][0]["id"] if page["items"] else None

    return await finished_run(client, user, await wait_for(latest))


async def insert_run_without_enqueueing(
    client: AsyncTestClient,  # type: ignore[type-arg]
    workflow_id: int,
    plan: list[dict[str, Any]],
    *,
    lease: timedelta,
    body: bytes = b'{"hello": "world"}',
) -> int:
    """An event and its queued run, committed, whose message never reached the broker."""
    # The app's own engine lives on the test client's event loop thread, not ours.
    settings: Settings = client.app.state.settings
    engine = create_engine(settings.database)
    incoming = json_incoming(body, path="/hooks/lost")
    try:
        async with transaction(create_session_factory(engine)) as session:
            recorded = await record_event(
                session,
                workflow_id=workflow_id,
                incoming=incoming,
                outcome="accepted",
                plan=plan,
                lease=lease,
            )
    finally:
        await engine.dispose()
    assert recorded.run_id is not None
    return recorded.run_id


async def drain(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    """Wait until the broker's queue is empty and every message was handled."""
    dispatcher = client.app.state.dispatcher
    await asyncio.to_thread(dispatcher.broker.join, dispatcher.queue_name, timeout=15_000)
