"""The embedded worker runs EMBEDDED_STEPS_AT_ONCE steps at the same time, and no more.

A slow destination holds every step it receives; the worker keeps that many calls open
at once (so one slow vendor does not delay other runs until the limit is reached), and
the rest wait in the database until a slot is free, then run.
"""

from __future__ import annotations

import asyncio

from app.settings import Settings
from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.worker.conftest import app_client, create_workflow, http_step, post_hook

AT_ONCE = 40  # above the 32 connections a Dramatiq-sized pool would hold
WAITING = 5


async def test_the_worker_runs_its_configured_number_of_steps_at_once(
    settings: Settings, api_user: ApiUser, sink: LocalServer
) -> None:
    broker = settings.broker.model_copy(update={"embedded_steps_at_once": AT_ONCE})
    async with app_client(settings.model_copy(update={"broker": broker})) as client:
        workflow = await create_workflow(client, api_user, [http_step(sink.url("/slow"))])
        for _ in range(AT_ONCE + WAITING):
            await post_hook(client, workflow, b"{}")

        await wait_for(lambda: len(sink.received) >= AT_ONCE)
        await asyncio.sleep(0.5)  # room for a step beyond the limit to show up
        assert len(sink.received) == AT_ONCE

        sink.release.set()
        await wait_for(lambda: len(sink.received) == AT_ONCE + WAITING)
