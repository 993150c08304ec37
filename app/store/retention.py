"""Pruning old history: events and finished runs older than the retention age.

Runs that are still queued or running are never pruned, nor the events they need.
Deletes go in bounded batches so a large backlog never holds one long transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import TERMINAL_RUN_STATUSES, Event, Run, StepAttempt


async def prune_runs(session: AsyncSession, *, older_than: datetime, batch: int = 1000) -> int:
    """Delete up to `batch` finished runs created before `older_than`; returns how many."""
    query = (
        select(Run.id)
        .where(col(Run.created_at) < older_than)
        .where(col(Run.status).in_(TERMINAL_RUN_STATUSES))
        .limit(batch)
    )
    run_ids = [run_id for run_id in (await session.exec(query)).all() if run_id is not None]
    if run_ids:
        await session.exec(delete(StepAttempt).where(col(StepAttempt.run_id).in_(run_ids)))
        await session.exec(delete(Run).where(col(Run.id).in_(run_ids)))
    return len(run_ids)


async def prune_events(session: AsyncSession, *, older_than: datetime, batch: int = 1000) -> int:
    """Delete up to `batch` events received before `older_than` that no remaining run uses."""
    still_used = select(Run.event_id).where(col(Run.event_id).is_not(None))
    query = (
        select(Event.id)
        .where(col(Event.received_at) < older_than)
        .where(col(Event.id).not_in(still_used))
        .limit(batch)
    )
    event_ids = [event_id for event_id in (await session.exec(query)).all() if event_id is not None]
    if event_ids:
        await session.exec(delete(Event).where(col(Event.id).in_(event_ids)))
    return len(event_ids)
