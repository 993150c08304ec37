"""History older than the retention age disappears; recent or unfinished work stays."""

from __future__ import annotations

from datetime import timedelta

from app.settings import Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.events import IncomingEvent, record_event
from app.store.sealing import vault_for
from app.store.tables import Event, Run, Workflow, utcnow
from app.store.workflows import create_workflow
from app.worker.clock import prune_history
from app.workflows.definition import WorkflowDefinition
from tests.conftest import ApiUser
from tests.support.incoming import json_incoming


def incoming(received_days_ago: float, key: str) -> IncomingEvent:
    return json_incoming(dedupe_key=key, received_at=utcnow() - timedelta(days=received_days_ago))


async def test_prune_removes_only_old_finished_history(
    settings: Settings, api_user: ApiUser
) -> None:
    engine = create_engine(settings.database)
    sessions = create_session_factory(engine)
    try:
        async with transaction(sessions) as session:
            workflow = await create_workflow(
                session,
                user_id=api_user.id,
                definition=WorkflowDefinition(name="w"),
                vault=vault_for(settings),
            )
            assert workflow.id is not None
            old_done = await record_event(
                session,
                workflow_id=workflow.id,
                incoming=incoming(40, "a"),
                outcome="accepted",
                plan=[],
            )
            old_running = await record_event(
                session,
                workflow_id=workflow.id,
                incoming=incoming(40, "b"),
                outcome="accepted",
                plan=[],
            )
            recent = await record_event(
                session,
                workflow_id=workflow.id,
                incoming=incoming(1, "c"),
                outcome="accepted",
                plan=[],
            )
            for recorded, status in (
                (old_done, "succeeded"),
                (old_running, "running"),
                (recent, "succeeded"),
            ):
                run = await session.get(Run, recorded.run_id)
                assert run is not None
                run.status = status
                run.created_at = (await session.get(Event, recorded.event_id)).received_at  # type: ignore[union-attr]
                session.add(run)

        removed = await prune_history(sessions, retention_days=30)

        assert removed == 2  # the old finished run and its event
        async with transaction(sessions) as session:
            assert await session.get(Event, old_done.event_id) is None
            assert await session.get(Run, old_done.run_id) is None
            assert await session.get(Event, old_running.event_id) is not None
            assert await session.get(Run, old_running.run_id) is not None
            assert await session.get(Event, recent.event_id) is not None
            assert await session.get(Workflow, workflow.id) is not None
        assert await prune_history(sessions, retention_days=0) == 0
    finally:
        await engine.dispose()
