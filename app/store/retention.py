"""Pruning old history: events and finished runs older than the retention age.

Runs that are still queued or running are never pruned, nor the events they need.
Each batch first picks a bounded number of ids through the time indexes
(`ix_run_status_created_at`, `ix_event_received_at`), so finding old rows costs the same
with a million stored rows as with a thousand; then it deletes those ids by primary key,
re-checking the same conditions, so a run restarted or an event replayed in between is
kept. Both steps are short, and the caller runs them in separate transactions so a
large backlog never holds the database's write lock for long.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, delete, exists, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import TERMINAL_RUN_STATUSES, Event, Run, StepAttempt

PRUNE_BATCH = 1000


def _prunable_runs(older_than: datetime) -> list[Any]:
    return [
        col(Run.status).in_(TERMINAL_RUN_STATUSES),
        col(Run.created_at) < older_than,
    ]


def _prunable_events(older_than: datetime) -> list[Any]:
    used_by_a_run = exists().where(col(Run.event_id) == col(Event.id))
    return [col(Event.received_at) < older_than, ~used_by_a_run]


async def old_finished_run_ids(
    session: AsyncSession, *, older_than: datetime, batch: int = PRUNE_BATCH
) -> list[int]:
    """Up to `batch` ids of finished runs created before `older_than` (an index read)."""
    query = select(Run.id).where(*_prunable_runs(older_than)).limit(batch)
    return [run_id for run_id in (await session.exec(query)).all() if run_id is not None]


async def delete_old_runs(
    session: AsyncSession, *, ids: Sequence[int], older_than: datetime
) -> int:
    """Delete those of run `ids` that are still finished and old, with their step attempts."""
    if not ids:
        return 0
    still_prunable = select(Run.id).where(col(Run.id).in_(ids), *_prunable_runs(older_than))
    doomed = [run_id for run_id in (await session.exec(still_prunable)).all() if run_id]
    if doomed:
        await session.exec(delete(StepAttempt).where(col(StepAttempt.run_id).in_(doomed)))
        await session.exec(delete(Run).where(col(Run.id).in_(doomed)))
    return len(doomed)


async def unused_old_event_ids(
    session: AsyncSession, *, older_than: datetime, batch: int = PRUNE_BATCH
) -> list[int]:
    """Up to `batch` ids of events received before `older_than` that no run uses."""
    query = select(Event.id).where(*_prunable_events(older_than)).limit(batch)
    return [event_id for event_id in (await session.exec(query)).all() if event_id is not None]


async def delete_old_events(
    session: AsyncSession, *, ids: Sequence[int], older_than: datetime
) -> int:
    """Delete those of event `ids` that are still old and unused (their files cascade)."""
    if not ids:
        return 0
    still_prunable = select(Event.id).where(col(Event.id).in_(ids), *_prunable_events(older_than))
    doomed = [event_id for event_id in (await session.exec(still_prunable)).all() if event_id]
    if doomed:
        await session.exec(delete(Event).where(col(Event.id).in_(doomed)))
    return len(doomed)
