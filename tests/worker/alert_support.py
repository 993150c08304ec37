"""Helpers for the alert and schedule tests: an owner with a workflow, runs through the real
worker code against a local HTTP server, and reading the workflow row back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from app.settings import Settings
from app.store.db import SessionFactory, create_engine, create_session_factory, transaction
from app.store.events import record_event
from app.store.tables import Workflow
from app.worker.broker import Dispatcher, build_broker
from app.worker.execution import run_next_step
from app.worker.runtime import WorkerRuntime
from tests.support.incoming import json_incoming
from tests.support.owners import Owner as Owner
from tests.support.owners import make_owner as make_owner


@asynccontextmanager
async def session_factory(settings: Settings) -> AsyncIterator[SessionFactory]:
    engine = create_engine(settings.database)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def workflow_row(sessions: SessionFactory, workflow_id: int) -> Workflow:
    async with transaction(sessions) as session:
        workflow = await session.get(Workflow, workflow_id)
        assert workflow is not None
        return workflow


def post_to(url: str) -> list[dict[str, Any]]:
    return [{"type": "http_request", "config": {"method": "POST", "url": url}}]


class Worker:
    """The real step runner (`run_next_step`) on an in-process broker."""

    def __init__(self, settings: Settings, sessions: SessionFactory) -> None:
        broker = build_broker(settings.broker)
        self.runtime = WorkerRuntime(settings, Dispatcher(broker, settings.broker.queue_name))
        self.sessions = sessions

    async def run(self, workflow_id: int, plan: list[dict[str, Any]]) -> int:
        """Store an event with a run of `plan`, then run its one step to the end."""
        async with transaction(self.sessions) as session:
            recorded = await record_event(
                session,
                workflow_id=workflow_id,
                incoming=json_incoming(),
                outcome="accepted",
                plan=plan,
            )
        assert recorded.run_id is not None
        await run_next_step(self.runtime, recorded.run_id)
        return recorded.run_id

    async def close(self) -> None:
        await self.runtime.close()
