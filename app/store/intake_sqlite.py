"""The webhook edge's SQL on SQLite, for units run by the writer thread (sqlite_writer.py).

The same statements and rules as the async path — `find_workflow_by_hook_token` and the
workflow's steps, `is_retired_hook_token`, `count_hook_request` and `record_event` — on a
plain `sqlite3` connection, compiled once (prepared.py). Kept side by side with those
functions on purpose: tests run every webhook behaviour through both paths (SQLite uses
this one, PostgreSQL the async one).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlmodel import SQLModel

from app.store.events import IncomingEvent, RecordedEvent, duplicate_copy, event_row, file_rows
from app.store.prepared import Prepared, bind_all
from app.store.stored_hook import StoredHook
from app.store.tables import utcnow

_EVENT = SQLModel.metadata.tables["event"]
_FILE = SQLModel.metadata.tables["event_file"]
_RUN = SQLModel.metadata.tables["run"]
_STEP = SQLModel.metadata.tables["step"]
_WORKFLOW = SQLModel.metadata.tables["workflow"]
_RETIRED = SQLModel.metadata.tables["retired_hook_token"]
_WINDOW = SQLModel.metadata.tables["hook_rate_window"]
_EVENT_COLUMNS = [
    *("workflow_id", "received_at", "method", "path", "query_string", "headers"),
    *("content_type", "body", "body_size", "body_kind", "parsed_json", "dedupe_key"),
    *("outcome", "reason", "warnings", "duplicate_of_event_id"),
]
_RUN_COLUMNS = [
    *("workflow_id", "event_id", "status", "plan", "next_step", "lease_until"),
    *("created_at", "updated_at"),
]
_FILE_COLUMNS = ["event_id", "field_name", "filename", "content_type", "size", "sha256", "data"]


_FIND_WORKFLOW = Prepared(
    sa.select(_WORKFLOW.c.id, _WORKFLOW.c.enabled, _WORKFLOW.c.trigger).where(
        _WORKFLOW.c.hook_token == sa.bindparam("token")
    )
)
_STEPS = Prepared(
    sa.select(_STEP.c.type, _STEP.c.name, _STEP.c.enabled, _STEP.c.config)
    .where(_STEP.c.workflow_id == sa.bindparam("workflow_id"))
    .order_by(_STEP.c.position)
)
_IS_RETIRED = Prepared(sa.select(sa.literal(1)).where(_RETIRED.c.token == sa.bindparam("token")))
_COUNT_REQUEST = Prepared(
    sqlite.insert(_WINDOW)
    .values({**bind_all(_WINDOW, ["workflow_id", "minute"]), "requests": 1})
    .on_conflict_do_update(
        index_elements=["workflow_id", "minute"], set_={"requests": _WINDOW.c.requests + 1}
    )
    .returning(_WINDOW.c.requests)
)
_PRUNE_WINDOWS = Prepared(
    sa.delete(_WINDOW).where(
        _WINDOW.c.workflow_id == sa.bindparam("workflow_id"),
        _WINDOW.c.minute < sa.bindparam("minute"),
    )
)


def find_hook(connection: sqlite3.Connection, *, token: str) -> StoredHook | None:
    """The URL's workflow and (when it is enabled) its steps, as stored."""
    rows = _FIND_WORKFLOW.execute(connection, {"token": token}).fetchall()
    if not rows:
        return None
    workflow_id, enabled, trigger_json = rows[0]
    steps: tuple[tuple[str, str | None, bool, str], ...] = ()
    if enabled:
        found = _STEPS.execute(connection, {"workflow_id": workflow_id}).fetchall()
        steps = tuple((kind, name, bool(on), config) for kind, name, on, config in found)
    return StoredHook(int(workflow_id), bool(enabled), trigger_json, steps)


def is_retired_token(connection: sqlite3.Connection, *, token: str) -> bool:
    return _IS_RETIRED.scalar(connection, {"token": token}) is not None


def count_hook_request(
    connection: sqlite3.Connection, *, workflow_id: int, now: datetime, limit_per_minute: int
) -> int | None:
    """Like `rate_limits.count_hook_request`: seconds to wait when over the limit, else None."""
    if limit_per_minute <= 0:
        return None
    seconds = int(now.timestamp())
    minute = seconds // 60
    values = {"workflow_id": workflow_id, "minute": minute}
    count = int(_COUNT_REQUEST.scalar(connection, values))
    if count == 1:
        _PRUNE_WINDOWS.execute(connection, values)
    return 60 - seconds % 60 if count > limit_per_minute else None


_INSERT_EVENT = Prepared(
    sqlite.insert(_EVENT)
    .values(bind_all(_EVENT, _EVENT_COLUMNS))
    .on_conflict_do_nothing(index_elements=["workflow_id", "dedupe_key"])
    .returning(_EVENT.c.id)
)
_FIND_BY_DEDUPE_KEY = Prepared(
    sa.select(_EVENT.c.id).where(
        _EVENT.c.workflow_id == sa.bindparam("workflow_id"),
        _EVENT.c.dedupe_key == sa.bindparam("dedupe_key"),
    )
)
_INSERT_FILE = Prepared(sa.insert(_FILE).values(bind_all(_FILE, _FILE_COLUMNS)))
_INSERT_RUN = Prepared(sa.insert(_RUN).values(bind_all(_RUN, _RUN_COLUMNS)).returning(_RUN.c.id))


def record_event(
    connection: sqlite3.Connection,
    *,
    workflow_id: int,
    incoming: IncomingEvent,
    outcome: str,
    reason: str | None = None,
    plan: list[dict[str, Any]] | None = None,
    lease: timedelta = timedelta(minutes=2),
) -> RecordedEvent:
    """Like `events.record_event`: the event, its files, and a queued run when `plan` is given.

    A repeated dedupe key stores a "duplicate" copy pointing at the first, and no run.
    """
    values = event_row(workflow_id, incoming, outcome, reason)
    event_id = _INSERT_EVENT.scalar(connection, values)
    if event_id is None:  # the (workflow, dedupe key) pair exists: keep this copy as a duplicate
        first = int(_FIND_BY_DEDUPE_KEY.scalar(connection, values))
        copy_id = int(_INSERT_EVENT.scalar(connection, duplicate_copy(values, first)))
        _insert_files(connection, copy_id, incoming)
        return RecordedEvent(event_id=copy_id, run_id=None, duplicate_of=first)
    _insert_files(connection, event_id, incoming)
    run_id = None
    if plan is not None:
        now = utcnow()
        run = {
            "workflow_id": workflow_id,
            "event_id": event_id,
            "status": "queued",
            "plan": plan,
            "next_step": 0,
            "lease_until": now + lease,
            "created_at": now,
            "updated_at": now,
        }
        run_id = int(_INSERT_RUN.scalar(connection, run))
    return RecordedEvent(event_id=int(event_id), run_id=run_id)


def _insert_files(connection: sqlite3.Connection, event_id: int, incoming: IncomingEvent) -> None:
    if incoming.files:
        connection.executemany(
            _INSERT_FILE.sql,
            [_INSERT_FILE.params(row) for row in file_rows(event_id, incoming.files)],
        )
