"""Recording inbound events and the runs they start, and reading event history.

`record_event` is the durable heart of the webhook edge: one INSERT for the event
(a duplicate delivery id is a no-op) and one for its run, committed by the caller
before anything is acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import Event, Run, utcnow

EVENT_TABLE = SQLModel.metadata.tables["event"]
RUN_TABLE = SQLModel.metadata.tables["run"]


@dataclass(frozen=True)
class IncomingEvent:
    """Everything the edge knows about one request, ready to store."""

    method: str
    path: str
    query_string: str
    headers: list[list[str]]
    content_type: str | None
    body: bytes
    body_kind: str
    parsed_json: str | None
    dedupe_key: str | None
    warnings: list[str]
    received_at: datetime


@dataclass(frozen=True)
class RecordedEvent:
    event_id: int
    run_id: int | None
    duplicate: bool


def _insert_for(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def record_event(
    session: AsyncSession,
    *,
    workflow_id: int,
    incoming: IncomingEvent,
    outcome: str,
    reason: str | None = None,
    plan: list[dict[str, Any]] | None = None,
    lease: timedelta = timedelta(minutes=2),
) -> RecordedEvent:
    """Insert the event (and a queued run when `plan` is given); duplicates insert nothing."""
    values = {
        "workflow_id": workflow_id,
        "received_at": incoming.received_at,
        "method": incoming.method,
        "path": incoming.path[:2000],
        "query_string": incoming.query_string,
        "headers": incoming.headers,
        "content_type": (incoming.content_type or None) and incoming.content_type[:255],
        "body": incoming.body,
        "body_size": len(incoming.body),
        "body_kind": incoming.body_kind,
        "parsed_json": incoming.parsed_json,
        "dedupe_key": incoming.dedupe_key,
        "outcome": outcome,
        "reason": reason,
        "warnings": incoming.warnings or None,
    }
    insert = _insert_for(session)(Event).values(**values)
    if incoming.dedupe_key is not None:
        insert = insert.on_conflict_do_nothing(index_elements=["workflow_id", "dedupe_key"])
    event_id = (await session.exec(insert.returning(EVENT_TABLE.c.id))).scalar()
    if event_id is None:
        existing = await _find_by_dedupe_key(session, workflow_id, incoming.dedupe_key)
        return RecordedEvent(event_id=existing, run_id=None, duplicate=True)
    run_id = None
    if plan is not None:
        run_id = await _insert_run(session, workflow_id, event_id, plan, lease)
    return RecordedEvent(event_id=event_id, run_id=run_id, duplicate=False)


async def _find_by_dedupe_key(session: AsyncSession, workflow_id: int, key: str | None) -> int:
    query = select(col(Event.id)).where(Event.workflow_id == workflow_id, Event.dedupe_key == key)
    found = (await session.exec(query)).one()
    assert found is not None
    return found


async def _insert_run(
    session: AsyncSession,
    workflow_id: int,
    event_id: int | None,
    plan: list[dict[str, Any]],
    lease: timedelta,
) -> int:
    now = utcnow()
    insert = (
        sa.insert(Run)
        .values(
            workflow_id=workflow_id,
            event_id=event_id,
            status="queued",
            plan=plan,
            next_step=0,
            lease_until=now + lease,
            created_at=now,
            updated_at=now,
        )
        .returning(RUN_TABLE.c.id)
    )
    return int((await session.exec(insert)).scalar_one())


async def start_run_for_event(
    session: AsyncSession, *, workflow_id: int, event_id: int, plan: list[dict[str, Any]]
) -> int:
    """A new queued run of an already stored event (used to run held events or replay)."""
    return await _insert_run(session, workflow_id, event_id, plan, timedelta(minutes=2))


async def get_event(session: AsyncSession, *, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def list_workflow_events(
    session: AsyncSession, *, workflow_id: int, before_id: int | None = None, limit: int = 50
) -> list[Event]:
    """Newest first, keyset-paginated by id (no OFFSET, no COUNT)."""
    query = select(Event).where(Event.workflow_id == workflow_id)
    if before_id is not None:
        query = query.where(col(Event.id) < before_id)
    query = query.order_by(col(Event.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def latest_workflow_event(session: AsyncSession, *, workflow_id: int) -> Event | None:
    events = await list_workflow_events(session, workflow_id=workflow_id, limit=1)
    return events[0] if events else None
