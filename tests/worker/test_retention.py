"""History older than the retention age disappears; recent or unfinished work stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.settings import Settings
from app.store.db import SessionFactory, create_engine, create_session_factory, transaction
from app.store.events import IncomingEvent, RecordedEvent, record_event
from app.store.retention import (
    delete_old_events,
    delete_old_runs,
    old_finished_run_ids,
    unused_old_event_ids,
)
from app.store.sealing import vault_for
from app.store.tables import Event, Run, Workflow, utcnow
from app.store.workflows import create_workflow
from app.worker import clock
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


async def old_finished_events(
    sessions: SessionFactory, settings: Settings, api_user: ApiUser, count: int
) -> list[RecordedEvent]:
    """`count` events received 40 days ago, each with a succeeded run of the same age."""
    recorded: list[RecordedEvent] = []
    async with transaction(sessions) as session:
        workflow = await create_workflow(
            session,
            user_id=api_user.id,
            definition=WorkflowDefinition(name="w"),
            vault=vault_for(settings),
        )
        assert workflow.id is not None
        for n in range(count):
            one = await record_event(
                session,
                workflow_id=workflow.id,
                incoming=incoming(40, f"old-{n}"),
                outcome="accepted",
                plan=[],
            )
            run = await session.get(Run, one.run_id)
            assert run is not None
            run.status = "succeeded"
            run.created_at = utcnow() - timedelta(days=40)
            session.add(run)
            recorded.append(one)
    return recorded


async def test_prune_works_through_a_backlog_batch_by_batch(
    settings: Settings, api_user: ApiUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "PRUNE_BATCH", 2)  # three rows each: two full batches + one
    engine = create_engine(settings.database)
    sessions = create_session_factory(engine)
    try:
        recorded = await old_finished_events(sessions, settings, api_user, 3)
        assert await prune_history(sessions, retention_days=30) == 6
        async with transaction(sessions) as session:
            for one in recorded:
                assert await session.get(Event, one.event_id) is None
                assert await session.get(Run, one.run_id) is None
    finally:
        await engine.dispose()


async def test_rows_that_changed_after_being_picked_are_kept(
    settings: Settings, api_user: ApiUser
) -> None:
    """The ids are picked in one transaction and deleted in the next: a run restarted or
    an event replayed in between must survive."""
    engine = create_engine(settings.database)
    sessions = create_session_factory(engine)
    cutoff = utcnow() - timedelta(days=30)
    try:
        restarted, replayed = await old_finished_events(sessions, settings, api_user, 2)
        async with transaction(sessions) as session:
            run_ids = await old_finished_run_ids(session, older_than=cutoff)
        assert sorted(run_ids) == sorted([restarted.run_id, replayed.run_id])
        async with transaction(sessions) as session:
            run = await session.get(Run, restarted.run_id)
            assert run is not None
            run.status = "queued"  # the user retried it meanwhile
            session.add(run)
        async with transaction(sessions) as session:
            assert await delete_old_runs(session, ids=run_ids, older_than=cutoff) == 1

        async with transaction(sessions) as session:
            event_ids = await unused_old_event_ids(session, older_than=cutoff)
        assert event_ids == [replayed.event_id]
        async with transaction(sessions) as session:
            old_run = await session.get(Run, restarted.run_id)
            assert old_run is not None
            session.add(Run(workflow_id=old_run.workflow_id, event_id=replayed.event_id, plan=[]))
        async with transaction(sessions) as session:
            assert await delete_old_events(session, ids=event_ids, older_than=cutoff) == 0

        async with transaction(sessions) as session:
            kept_run = await session.get(Run, restarted.run_id)
            assert kept_run is not None and kept_run.status == "queued"
            assert await session.get(Event, restarted.event_id) is not None
            assert await session.get(Event, replayed.event_id) is not None
            # The old finished run of the replayed event is gone; only the replay remains.
            runs_of_replayed = (
                await session.exec(select(Run.status).where(Run.event_id == replayed.event_id))
            ).all()
            assert list(runs_of_replayed) == ["queued"]
    finally:
        await engine.dispose()
