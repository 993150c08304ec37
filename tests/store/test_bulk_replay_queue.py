"""The bulk replay queue lives in the database: a crash between runs loses nothing."""

from __future__ import annotations

from datetime import timedelta

from dramatiq.brokers.stub import StubBroker
from sqlmodel import select

from app.store.bulk_replays import create_bulk_replay, get_user_bulk_replay
from app.store.db import SessionFactory, transaction
from app.store.event_data import delete_event_data
from app.store.tables import Event, Run, utcnow
from app.worker.broker import Dispatcher
from app.worker.sweeper import sweep_once
from tests.store.conftest import HTTP_STEP, Owner, store_event

LEASE = timedelta(minutes=2)


async def _fail(sessions: SessionFactory, run_id: int) -> None:
    async with transaction(sessions) as session:
        run = await session.get(Run, run_id)
        assert run is not None
        run.status, run.finished_at, run.lease_until = "failed", utcnow(), None
        session.add(run)


async def test_the_sweeper_starts_the_next_item_after_a_crash(
    sessions: SessionFactory, alice: Owner
) -> None:
    start = utcnow() - timedelta(seconds=1)
    originals = []
    for _ in range(3):
        recorded = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP])
        assert recorded.run_id is not None
        await _fail(sessions, recorded.run_id)
        originals.append(recorded)
    async with transaction(sessions) as session:
        replay, first = await create_bulk_replay(
            session,
            workflow_id=alice.workflow_id,
            range_from=start,
            range_to=utcnow() + timedelta(seconds=1),
            lease=LEASE,
        )
    assert replay.id is not None and len(first) == 1
    # The middle event's data is deleted while it waits: it is skipped, not run.
    async with transaction(sessions) as session:
        middle = await session.get(Event, originals[1].event_id)
        assert middle is not None
        await delete_event_data(session, event=middle)
    # The worker finished the first replay run and died before moving the queue on.
    await _fail(sessions, first[0])
    broker = StubBroker()
    broker.declare_queue("q")
    await sweep_once(sessions, Dispatcher(broker, "q"), lease=LEASE)

    async with transaction(sessions) as session:
        view = await get_user_bulk_replay(session, user_id=alice.user_id, bulk_replay_id=replay.id)
        assert view is not None
        assert [i.status for i in view.items] == ["done", "skipped", "running"]
        third_run = view.items[2].run_id
        event_ids = (await session.exec(select(Run.event_id).where(Run.id == third_run))).all()
    assert event_ids == [originals[2].event_id]
    assert broker.queues["q"].qsize() == 1, "the new run was enqueued"

    await _fail(sessions, third_run)  # type: ignore[arg-type]
    await sweep_once(sessions, Dispatcher(broker, "q"), lease=LEASE)
    async with transaction(sessions) as session:
        view = await get_user_bulk_replay(session, user_id=alice.user_id, bulk_replay_id=replay.id)
    assert view is not None and view.replay.finished_at is not None
    assert view.done == 3
