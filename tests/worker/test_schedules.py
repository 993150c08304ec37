"""Schedule ticks against the real database: one run per tick, one run after downtime,
one run when two clocks race, none while off; "now" is passed in, never slept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.settings import Settings
from app.store.db import SessionFactory, transaction
from app.store.tables import Event, Run, Step, Workflow, utcnow
from app.store.workflows import set_workflow_enabled
from app.worker.broker import Dispatcher, build_broker
from app.worker.execution import run_next_step
from app.worker.schedules import fire_due_schedules
from tests.support.local_http import LocalServer
from tests.worker.alert_support import Owner, Worker, make_owner, session_factory, workflow_row

LEASE = timedelta(minutes=2)
EVERY_5_MINUTES = {"kind": "schedule", "schedule": {"every": "minutes", "interval_minutes": 5}}


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[SessionFactory]:
    async with session_factory(settings) as factory:
        yield factory


@pytest.fixture
def dispatcher(settings: Settings) -> Dispatcher:
    return Dispatcher(build_broker(settings.broker), settings.broker.queue_name)


@pytest.fixture
async def owner(sessions: SessionFactory, settings: Settings) -> Owner:
    return await make_owner(sessions, settings, trigger=EVERY_5_MINUTES)


async def runs_of(sessions: SessionFactory, workflow_id: int) -> list[Run]:
    async with transaction(sessions) as session:
        query = select(Run).where(Run.workflow_id == workflow_id).order_by(col(Run.id))
        return list((await session.exec(query)).all())


async def test_a_due_tick_starts_exactly_one_run(
    sessions: SessionFactory, dispatcher: Dispatcher, owner: Owner
) -> None:
    due = (await workflow_row(sessions, owner.workflow_id)).next_tick_at
    assert due is not None and utcnow() < due <= utcnow() + timedelta(minutes=5)
    assert due.minute % 5 == 0 and due.second == 0
    assert (
        await fire_due_schedules(sessions, dispatcher, now=due - timedelta(seconds=1), lease=LEASE)
        == 0
    )
    assert await fire_due_schedules(sessions, dispatcher, now=due, lease=LEASE) == 1
    assert await fire_due_schedules(sessions, dispatcher, now=due, lease=LEASE) == 0
    runs = await runs_of(sessions, owner.workflow_id)
    assert len(runs) == 1 and runs[0].status == "queued"
    assert dispatcher.broker.queues[dispatcher.queue_name].qsize() == 1
    async with transaction(sessions) as session:
        event = await session.get(Event, runs[0].event_id)
    assert event is not None and event.method == "SCHEDULE" and event.outcome == "accepted"
    assert json.loads(event.body) == {
        "scheduled_at": due.isoformat(),
        "scheduled_at_utc": due.isoformat().replace("+00:00", "Z"),
        "timezone": "UTC",
        "missed_ticks": 0,
    }
    assert event.reason == "Started by the schedule: Every 5 minutes."
    assert (await workflow_row(sessions, owner.workflow_id)).next_tick_at == due + timedelta(
        minutes=5
    )


async def test_downtime_of_five_intervals_runs_once_then_keeps_the_beat(
    sessions: SessionFactory, dispatcher: Dispatcher, owner: Owner
) -> None:
    due = (await workflow_row(sessions, owner.workflow_id)).next_tick_at
    assert due is not None
    back_up = due + timedelta(minutes=25, seconds=10)  # five ticks were missed
    assert await fire_due_schedules(sessions, dispatcher, now=back_up, lease=LEASE) == 1
    assert await fire_due_schedules(sessions, dispatcher, now=back_up, lease=LEASE) == 0
    [run] = await runs_of(sessions, owner.workflow_id)
    following = (await workflow_row(sessions, owner.workflow_id)).next_tick_at
    assert following == due + timedelta(minutes=30)  # the next slot after now, not after `due`
    async with transaction(sessions) as session:
        event = await session.get(Event, run.event_id)
    assert event is not None
    body = json.loads(event.body)
    # The catch-up run is for the slot that is "now", and says how many slots it replaces.
    latest = due + timedelta(minutes=25)
    assert body["scheduled_at_utc"] == latest.isoformat().replace("+00:00", "Z")
    assert body["missed_ticks"] == 5


async def test_two_clocks_at_once_fire_a_tick_once(
    settings: Settings, sessions: SessionFactory, dispatcher: Dispatcher, owner: Owner
) -> None:
    due = (await workflow_row(sessions, owner.workflow_id)).next_tick_at
    assert due is not None
    async with session_factory(settings) as other_clock:
        fired = await asyncio.gather(
            fire_due_schedules(sessions, dispatcher, now=due, lease=LEASE),
            fire_due_schedules(other_clock, dispatcher, now=due, lease=LEASE),
            fire_due_schedules(other_clock, dispatcher, now=due, lease=LEASE),
        )
    assert sum(fired) == 1
    assert len(await runs_of(sessions, owner.workflow_id)) == 1


async def test_a_switched_off_workflow_does_not_tick(
    sessions: SessionFactory, dispatcher: Dispatcher, owner: Owner
) -> None:
    async with transaction(sessions) as session:
        workflow = await session.get(Workflow, owner.workflow_id)
        assert workflow is not None
        await set_workflow_enabled(session, workflow=workflow, enabled=False)
    assert (await workflow_row(sessions, owner.workflow_id)).next_tick_at is None
    later = utcnow() + timedelta(hours=1)
    assert await fire_due_schedules(sessions, dispatcher, now=later, lease=LEASE) == 0
    assert await runs_of(sessions, owner.workflow_id) == []
    async with transaction(sessions) as session:
        workflow = await session.get(Workflow, owner.workflow_id)
        assert workflow is not None
        await set_workflow_enabled(session, workflow=workflow, enabled=True)
    assert (await workflow_row(sessions, owner.workflow_id)).next_tick_at is not None


async def test_a_scheduled_run_sees_its_time_in_templates(
    settings: Settings, sessions: SessionFactory, dispatcher: Dispatcher, sink: LocalServer
) -> None:
    trigger = {
        "kind": "schedule",
        "schedule": {"every": "daily", "time": "07:00", "timezone": "Asia/Tokyo"},
    }
    owner = await make_owner(sessions, settings, trigger=trigger)
    async with transaction(sessions) as session:  # give it a step that reports the tick
        session.add(
            Step(
                workflow_id=owner.workflow_id,
                position=0,
                type="http_request",
                config={
                    "method": "POST",
                    "url": sink.url("/"),
                    "body": "{{ trigger.body.scheduled_at }} {{ trigger.body.timezone }}",
                },
            )
        )
    due = (await workflow_row(sessions, owner.workflow_id)).next_tick_at
    assert due is not None
    assert await fire_due_schedules(sessions, dispatcher, now=due, lease=LEASE) == 1
    worker = Worker(settings, sessions)
    try:
        [run] = await runs_of(sessions, owner.workflow_id)
        assert run.id is not None
        await run_next_step(worker.runtime, run.id)
    finally:
        await worker.close()
    assert [run.status for run in await runs_of(sessions, owner.workflow_id)] == ["succeeded"]
    body = sink.received[-1].body.decode()
    assert body.endswith("T07:00:00+09:00 Asia/Tokyo")
