"""Running stored events again: held events after a workflow is turned back on, and replays.

New runs use the workflow's CURRENT steps. Held events start in the order they arrived.
An event whose data the owner deleted never runs again (held ones are left held).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.event_data import refuse_if_data_deleted
from app.store.events import start_run_for_event
from app.store.tables import Event, Run

MAX_HELD_PER_REQUEST = 1000


async def run_held_events(
    session: AsyncSession, *, workflow_id: int, plan: list[dict[str, Any]], lease: timedelta
) -> list[int]:
    """Start a run for each held event (oldest first); returns the new run ids."""
    has_run = select(Run.event_id).where(col(Run.event_id).is_not(None))
    query = (
        select(Event)
        .where(Event.workflow_id == workflow_id, Event.outcome == "held")
        .where(col(Event.data_deleted_at).is_(None))
        .where(col(Event.id).not_in(has_run))
        .order_by(col(Event.id))
        .limit(MAX_HELD_PER_REQUEST)
    )
    run_ids = []
    for event in (await session.exec(query)).all():
        assert event.id is not None
        event.outcome = "accepted"
        session.add(event)
        run_ids.append(
            await start_run_for_event(
                session, workflow_id=workflow_id, event_id=event.id, plan=plan, lease=lease
            )
        )
    return run_ids


async def replay_run(
    session: AsyncSession, *, run: Run, plan: list[dict[str, Any]], lease: timedelta
) -> int | None:
    """A new run of the same event with the current steps (None for runs without an event).

    Raises ReplayRefused when the event's data was deleted.
    """
    if run.event_id is None:
        return None
    await refuse_if_data_deleted(session, event_id=run.event_id)
    return await start_run_for_event(
        session, workflow_id=run.workflow_id, event_id=run.event_id, plan=plan, lease=lease
    )
