"""Recording events: a repeated delivery id never starts a second run."""

from __future__ import annotations

from app.store.db import SessionFactory, transaction
from app.store.events import get_event, list_workflow_events
from app.store.history import list_workflow_runs
from tests.store.conftest import HTTP_STEP, Owner, store_event


async def test_record_event_with_a_repeated_delivery_id_starts_no_second_run(
    sessions: SessionFactory, alice: Owner
) -> None:
    first = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP], dedupe_key="d-1")
    again = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP], dedupe_key="d-1")

    assert not first.duplicate and first.run_id is not None
    assert again.duplicate and again.duplicate_of == first.event_id
    assert again.run_id is None
    async with transaction(sessions) as session:
        runs = await list_workflow_runs(session, workflow_id=alice.workflow_id)
        original = await get_event(session, event_id=first.event_id)
    assert [run.id for run in runs] == [first.run_id]
    assert original is not None and original.dedupe_key == "d-1"


async def test_record_event_same_delivery_id_on_another_workflow_runs(
    sessions: SessionFactory, alice: Owner, bob: Owner
) -> None:
    mine = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP], dedupe_key="d-1")
    theirs = await store_event(sessions, bob.workflow_id, plan=[HTTP_STEP], dedupe_key="d-1")
    assert not mine.duplicate and not theirs.duplicate
    assert theirs.run_id is not None


async def test_record_event_without_delivery_id_always_runs(
    sessions: SessionFactory, alice: Owner
) -> None:
    one = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP])
    two = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP])
    assert one.run_id != two.run_id
    async with transaction(sessions) as session:
        events = await list_workflow_events(session, workflow_id=alice.workflow_id)
    assert [event.id for event in events] == [two.event_id, one.event_id]
