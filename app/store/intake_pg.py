"""The intake hot path on PostgreSQL: one statement to look a URL up, one to store.

`find_hook_on_postgres` reads the URL's workflow and its steps (as stored JSON text, the
key of the edge's content cache) in one round trip instead of two ORM queries.

`insert_event_and_run` is `events.record_event` on PostgreSQL, for a request without
uploaded files: the event INSERT (a no-op on a repeated dedupe key) and the run INSERT
are one data-modifying CTE, sent on the raw asyncpg connection of the caller's
transaction (prepared_pg.py), so the ORM's per-statement CPU and one round trip are
gone. No row back means the dedupe key was seen before; the caller then takes the
unchanged duplicate path.

Both statements join the caller's transaction and commit nothing; when SQLAlchemy has
not sent BEGIN yet (it does so lazily, before the first statement), the caller's own
path runs instead (`NOT_HERE`); group commit's savepoint has always begun it. A driver
error surfaces as SQLAlchemy's `DBAPIError`, which the edge answers with 503 like any
other storage failure.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.prepared_pg import PgPrepared
from app.store.stored_hook import StoredHook

_EVENT = SQLModel.metadata.tables["event"]
_RUN = SQLModel.metadata.tables["run"]
_STEP = SQLModel.metadata.tables["step"]
_WORKFLOW = SQLModel.metadata.tables["workflow"]
EVENT_COLUMNS = (
    *("workflow_id", "received_at", "method", "path", "query_string", "headers"),
    *("content_type", "body", "body_size", "body_kind", "parsed_json", "dedupe_key"),
    *("outcome", "reason", "warnings"),
)
_RUN_COLUMNS = ("workflow_id", "event_id", "status", "plan", "next_step", "lease_until")


def _event_insert(*, deduplicated: bool) -> Any:
    values = {name: sa.bindparam(name, type_=_EVENT.c[name].type) for name in EVENT_COLUMNS}
    insert = postgresql.insert(_EVENT).values(values)
    if deduplicated:
        insert = insert.on_conflict_do_nothing(index_elements=["workflow_id", "dedupe_key"])
    return insert.returning(_EVENT.c.id)


def _event_and_run(*, deduplicated: bool) -> PgPrepared:
    stored = _event_insert(deduplicated=deduplicated).cte("stored")
    run = sa.select(
        sa.bindparam("workflow_id", type_=_RUN.c.workflow_id.type),
        stored.c.id,
        sa.literal("queued", _RUN.c.status.type),
        sa.bindparam("plan", type_=_RUN.c.plan.type),
        sa.literal(0, _RUN.c.next_step.type),
        sa.bindparam("lease_until", type_=_RUN.c.lease_until.type),
        sa.bindparam("now", type_=_RUN.c.created_at.type),
        sa.bindparam("now", type_=_RUN.c.updated_at.type),
    )
    insert = sa.insert(_RUN).from_select([*_RUN_COLUMNS, "created_at", "updated_at"], run)
    return PgPrepared(insert.returning(_RUN.c.event_id, _RUN.c.id))


# Keyed by (starts a run, has a dedupe key).
_STATEMENTS = {
    (False, False): PgPrepared(_event_insert(deduplicated=False)),
    (False, True): PgPrepared(_event_insert(deduplicated=True)),
    (True, False): _event_and_run(deduplicated=False),
    (True, True): _event_and_run(deduplicated=True),
}


NOT_HERE: Final = "not here"

_step_rows = sa.func.json_agg(
    aggregate_order_by(
        sa.func.json_build_array(
            _STEP.c.type, _STEP.c.name, _STEP.c.enabled, sa.cast(_STEP.c.config, sa.Text)
        ),
        _STEP.c.position,
    )
)
_FIND_HOOK = PgPrepared(
    sa.select(
        _WORKFLOW.c.id,
        _WORKFLOW.c.enabled,
        sa.cast(_WORKFLOW.c.trigger, sa.Text),
        sa.select(sa.cast(_step_rows, sa.Text))
        .where(_STEP.c.workflow_id == _WORKFLOW.c.id)
        .scalar_subquery(),
    ).where(_WORKFLOW.c.hook_token == sa.bindparam("token", type_=_WORKFLOW.c.hook_token.type))
)


async def find_hook_on_postgres(
    session: AsyncSession, *, token: str
) -> StoredHook | Literal["not here"] | None:
    """The URL's workflow with its trigger and steps as stored JSON text; None if unknown."""
    driver = await _driver_in_transaction(session)
    if driver is None:
        return NOT_HERE
    try:
        row = await _FIND_HOOK.fetchrow(driver, {"token": token})
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DBAPIError(_FIND_HOOK.sql, None, exc) from exc
    if row is None:
        return None
    workflow_id, enabled, trigger_json, steps_json = row
    steps = tuple(
        (kind, name, bool(on), config) for kind, name, on, config in json.loads(steps_json or "[]")
    )
    return StoredHook(
        workflow_id=workflow_id, enabled=enabled, trigger_json=trigger_json, steps_json=steps
    )


async def _driver_in_transaction(session: AsyncSession) -> asyncpg.Connection | None:
    """The session's asyncpg connection once its transaction has begun, else None."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None or not driver.is_in_transaction():
        return None
    return driver


async def insert_event_and_run(
    session: AsyncSession, *, values: dict[str, Any], run: dict[str, Any] | None
) -> tuple[int, int | None] | Literal["not here"] | None:
    """(event id, run id or None); None when the dedupe key was stored before.

    `values` are the event's columns (events.event_row); `run` has `plan`, `lease_until`
    and `now` when the event starts a run.
    """
    statement = _STATEMENTS[(run is not None, values["dedupe_key"] is not None)]
    driver = await _driver_in_transaction(session)
    if driver is None:
        return NOT_HERE
    try:
        row = await statement.fetchrow(driver, {**values, **(run or {})})
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DBAPIError(statement.sql, None, exc) from exc
    if row is None:
        return None
    return (row[0], row[1]) if run is not None else (row[0], None)
