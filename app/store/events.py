"""Recording inbound events and the runs they start, and reading event history.

`record_event` is the durable heart of the webhook edge: one INSERT for the event
and one for its run, committed by the caller before anything is acknowledged. A
repeated delivery id never starts a second run: the unique (workflow, dedupe key)
index turns the INSERT into a no-op, and the copy is then kept as its own "duplicate"
row (no dedupe key, pointing at the first copy) so the history shows every request.
Uploaded files of multipart bodies are kept in `event_file`, one row per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.intake_pg import NOT_HERE, insert_event_and_run
from app.store.tables import Event, EventFile, Run, Workflow, utcnow

EVENT_TABLE = SQLModel.metadata.tables["event"]
RUN_TABLE = SQLModel.metadata.tables["run"]


@dataclass(frozen=True)
class IncomingFile:
    """One uploaded file of a multipart body."""

    field_name: str
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


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
    files: list[IncomingFile] = field(default_factory=list)


@dataclass(frozen=True)
class RecordedEvent:
    """The stored row's id, the run it started, and the first copy when it is a duplicate."""

    event_id: int
    run_id: int | None
    duplicate_of: int | None = None

    @property
    def duplicate(self) -> bool:
        return self.duplicate_of is not None


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database."""
    return postgresql.insert if _is_postgres(session) else sqlite.insert


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


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
    """Insert the event, its files and (when `plan` is given) a queued run.

    A repeated dedupe key inserts a "duplicate" copy instead, and never a run.
    """
    values = event_row(workflow_id, incoming, outcome, reason)
    if _is_postgres(session) and not incoming.files:
        now = utcnow()
        run = None if plan is None else {"plan": plan, "lease_until": now + lease, "now": now}
        stored = await insert_event_and_run(session, values=values, run=run)
        if stored != NOT_HERE:
            if stored is not None:
                return RecordedEvent(event_id=stored[0], run_id=stored[1])
            first = await _find_by_dedupe_key(session, workflow_id, incoming.dedupe_key)
            copy_id = await _insert_duplicate_copy(session, values, first)
            return RecordedEvent(event_id=copy_id, run_id=None, duplicate_of=first)
    insert = dialect_insert(session)(Event).values(**values)
    if incoming.dedupe_key is not None:
        insert = insert.on_conflict_do_nothing(index_elements=["workflow_id", "dedupe_key"])
    event_id = (await session.exec(insert.returning(EVENT_TABLE.c.id))).scalar()
    if event_id is None:
        first = await _find_by_dedupe_key(session, workflow_id, incoming.dedupe_key)
        copy_id = await _insert_duplicate_copy(session, values, first)
        await _insert_files(session, copy_id, incoming.files)
        return RecordedEvent(event_id=copy_id, run_id=None, duplicate_of=first)
    await _insert_files(session, event_id, incoming.files)
    run_id = None
    if plan is not None:
        run_id = await _insert_run(session, workflow_id, event_id, plan, lease)
    return RecordedEvent(event_id=event_id, run_id=run_id)


def event_row(
    workflow_id: int, incoming: IncomingEvent, outcome: str, reason: str | None
) -> dict[str, Any]:
    """The event table's values for one incoming request."""
    return {
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


def duplicate_copy(values: dict[str, Any], first: int) -> dict[str, Any]:
    """The row kept for a repeated delivery: no dedupe key, pointing at the first copy."""
    key = values["dedupe_key"]
    return {
        **values,
        "dedupe_key": None,
        "outcome": "duplicate",
        "reason": f"Same delivery id ({key}) as event #{first}, so it did not run again",
        "duplicate_of_event_id": first,
    }


async def _insert_duplicate_copy(session: AsyncSession, values: dict[str, Any], first: int) -> int:
    insert = sa.insert(Event).values(**duplicate_copy(values, first)).returning(EVENT_TABLE.c.id)
    return int((await session.exec(insert)).scalar_one())


async def _insert_files(session: AsyncSession, event_id: int, files: list[IncomingFile]) -> None:
    if files:
        await session.exec(sa.insert(EventFile).values(file_rows(event_id, files)))


def file_rows(event_id: int, files: list[IncomingFile]) -> list[dict[str, Any]]:
    """The event_file table's values for an event's uploads."""
    return [
        {
            "event_id": event_id,
            "field_name": upload.field_name,
            "filename": upload.filename,
            "content_type": upload.content_type[:255],
            "size": upload.size,
            "sha256": upload.sha256,
            "data": upload.data,
        }
        for upload in files
    ]


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
    lease: timedelta = timedelta(minutes=2),
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
    session: AsyncSession,
    *,
    workflow_id: int,
    event_id: int,
    plan: list[dict[str, Any]],
    lease: timedelta = timedelta(minutes=2),
) -> int:
    """A new queued run of an already stored event (used to run held events or replay)."""
    return await _insert_run(session, workflow_id, event_id, plan, lease)


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


async def list_event_files(session: AsyncSession, *, event_id: int) -> list[EventFile]:
    """The event's uploaded files in the order received; `data` is deferred (not loaded)."""
    query = (
        select(EventFile)
        .where(EventFile.event_id == event_id)
        .options(defer(EventFile.data))  # type: ignore[arg-type]
        .order_by(col(EventFile.id))
    )
    return list((await session.exec(query)).all())


async def get_user_event_file(
    session: AsyncSession, *, user_id: int, event_id: int, file_id: int
) -> EventFile | None:
    """The file with its bytes if it belongs to the user's event; None otherwise."""
    query = (
        select(EventFile)
        .join(Event, col(Event.id) == col(EventFile.event_id))
        .join(Workflow, col(Workflow.id) == col(Event.workflow_id))
        .where(EventFile.id == file_id, Event.id == event_id, Workflow.user_id == user_id)
    )
    return (await session.exec(query)).first()
