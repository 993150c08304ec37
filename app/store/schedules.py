"""Schedule ticks in the database: when each scheduled workflow is next due, and firing one.

`workflow.next_tick_at` is the only schedule state. It is set whenever a workflow is
saved or switched on/off (None when off or not scheduled). A clock fires a due tick by
moving `next_tick_at` to the next time after *now* with a conditional UPDATE (so of
two clocks only one wins, and a tick missed during downtime fires once, not once per
missed slot: for the latest slot, saying how many it replaces), and records the event
and its run in that same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.events import IncomingEvent, record_event
from app.store.schedule_state import rows_changed, schedule_of
from app.store.tables import Workflow
from app.store.workflows import list_workflow_steps, step_definitions
from app.workflows.definition import plan_from_steps
from app.workflows.schedules import ScheduleConfig, describe_schedule, next_fire_time

SCHEDULE_METHOD = "SCHEDULE"
SCHEDULE_PATH = "(schedule)"
MAX_COUNTED_MISSES = 100_000  # bounds the catch-up count after very long downtime


async def due_ticks(
    session: AsyncSession, *, now: datetime, limit: int = 100
) -> list[tuple[int, datetime]]:
    """(workflow id, due time) of switched-on workflows whose tick is due, oldest first."""
    query = (
        select(Workflow.id, Workflow.next_tick_at)
        .where(col(Workflow.next_tick_at) <= now, col(Workflow.enabled).is_(True))
        .order_by(col(Workflow.next_tick_at))
        .limit(limit)
    )
    return [(wid, due) for wid, due in (await session.exec(query)).all() if wid and due]


@dataclass(frozen=True)
class FiredTick:
    workflow_id: int
    event_id: int
    run_id: int | None


async def fire_tick(
    session: AsyncSession, *, workflow_id: int, due_at: datetime, now: datetime, lease: timedelta
) -> FiredTick | None:
    """Claim the tick due at `due_at` and record its event and run; None if another clock
    already took it, or the workflow changed (then nothing is written)."""
    workflow = await session.get(Workflow, workflow_id)
    if workflow is None:
        return None
    schedule = schedule_of(workflow.trigger) if workflow.enabled else None
    following = next_fire_time(schedule, after=now) if schedule else None
    claim = (
        sa.update(Workflow)
        .where(col(Workflow.id) == workflow_id)
        .where(col(Workflow.next_tick_at) == due_at, col(Workflow.enabled).is_(True))
        .values(next_tick_at=following)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(await session.exec(claim)) != 1 or schedule is None:
        return None
    slot, missed = latest_slot(schedule, due_at=due_at, now=now)
    recorded = await record_event(
        session,
        workflow_id=workflow_id,
        incoming=_tick_event(schedule, slot=slot, missed=missed, now=now),
        outcome="accepted",
        reason=f"Started by the schedule: {describe_schedule(schedule)}.",
        plan=plan_from_steps(
            step_definitions(await list_workflow_steps(session, workflow_id=workflow_id))
        ),
        lease=lease,
    )
    return FiredTick(workflow_id, recorded.event_id, recorded.run_id)


def latest_slot(
    schedule: ScheduleConfig, *, due_at: datetime, now: datetime
) -> tuple[datetime, int]:
    """The latest slot from `due_at` up to `now`, and how many earlier slots it replaces
    (after downtime the one catch-up run carries the current time, not the oldest)."""
    slot, missed = due_at, 0
    while missed < MAX_COUNTED_MISSES:
        following = next_fire_time(schedule, after=slot)
        if following > now:
            break
        slot, missed = following, missed + 1
    return slot, missed


def _tick_event(
    schedule: ScheduleConfig, *, slot: datetime, missed: int, now: datetime
) -> IncomingEvent:
    body = json.dumps(
        {
            "scheduled_at": slot.astimezone(schedule.zone).isoformat(),
            "scheduled_at_utc": slot.isoformat().replace("+00:00", "Z"),
            "timezone": schedule.timezone,
            "missed_ticks": missed,
        }
    )
    return IncomingEvent(
        method=SCHEDULE_METHOD,
        path=SCHEDULE_PATH,
        query_string="",
        headers=[],
        content_type="application/json",
        body=body.encode(),
        body_kind="json",
        parsed_json=body,
        # The tick's own identity: even a second writer could never start it twice.
        dedupe_key=f"schedule:{slot.isoformat()}"[:200],
        warnings=[],
        received_at=now,
    )
