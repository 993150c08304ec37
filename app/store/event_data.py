"""Deleting what an event carried (body, headers, query, files) while keeping its facts.

The row stays (id, time, method, size, outcome) with `data_deleted_at` set, so history
and the runs it started remain listed. What its runs sent and received is emptied too,
because rendered requests and step outputs are copies of that data. A data-deleted
event can never run again: every replay path asks `refuse_if_data_deleted` first.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import Event, EventFile, Run, StepAttempt, utcnow


class ReplayRefused(ValueError):
    """A run cannot be started or resumed; the message says why in plain words."""


def data_deleted_message(deleted_at: datetime) -> str:
    return (
        f"This event's data was deleted on {deleted_at:%Y-%m-%d %H:%M} UTC, "
        "so it cannot be run again."
    )


async def delete_event_data(session: AsyncSession, *, event: Event) -> None:
    """Empty the event's body, headers, query, parsed view and files, and its runs' copies."""
    assert event.id is not None
    event.body = b""
    event.headers = []
    event.query_string = ""
    event.parsed_json = None
    event.warnings = None
    event.data_deleted_at = event.data_deleted_at or utcnow()
    session.add(event)
    await session.exec(delete(EventFile).where(col(EventFile.event_id) == event.id))
    runs_of_event = select(Run.id).where(Run.event_id == event.id)
    await session.exec(
        sa.update(StepAttempt)
        .where(col(StepAttempt.run_id).in_(runs_of_event))
        .values(request=None, response=None, output_json=None)
    )


async def refuse_if_data_deleted(session: AsyncSession, *, event_id: int | None) -> None:
    """Raise ReplayRefused when the event's data is gone (a run would see nothing)."""
    if event_id is None:
        return
    query = select(Event.data_deleted_at).where(Event.id == event_id)
    deleted_at = (await session.exec(query)).first()
    if deleted_at is not None:
        raise ReplayRefused(data_deleted_message(deleted_at))
