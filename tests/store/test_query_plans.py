"""The dashboard's and the retention prune's queries use indexes: none reads a whole events
or runs table (SQLite's plan), so they stay as fast with a million stored events as with a
thousand."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import Settings
from app.store.dashboard import summarize_user_workflows
from app.store.db import SessionFactory, transaction
from app.store.retention import (
    delete_old_events,
    delete_old_runs,
    old_finished_run_ids,
    unused_old_event_ids,
)
from app.store.tables import Run, utcnow
from tests.store.conftest import Owner, store_event

HISTORY_TABLES = ("event", "run", "step_attempt")
Statement = tuple[str, Any]


@contextlib.asynccontextmanager
async def recorded_statements(
    session: AsyncSession, *, kinds: tuple[str, ...]
) -> AsyncIterator[list[Statement]]:
    """Collect the statements (and their parameters) the block runs, of these kinds."""
    executed: list[Statement] = []

    def remember(conn: Connection, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(kinds):
            executed.append((statement, params))

    sync_engine = (await session.connection()).engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", remember)
    try:
        yield executed
    finally:
        event.remove(sync_engine, "before_cursor_execute", remember)


async def plans_and_scans(
    session: AsyncSession, executed: list[Statement]
) -> tuple[list[str], list[str]]:
    """SQLite's plan lines for the statements, and those that read a whole history table:
    "SEARCH t USING INDEX" reads a slice; "SCAN t" (even "USING INDEX") reads all."""
    plans, scans = [], []
    connection = await session.connection()
    for statement, params in executed:
        explained = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        for row in explained.all():
            detail = str(row[-1])
            plans.append(detail)
            if any(detail.startswith(f"SCAN {table}") for table in HISTORY_TABLES):
                scans.append(f"{detail}  <-  {statement[:160]}")
    return plans, scans


async def test_dashboard_queries_never_scan_history(
    settings: Settings, sessions: SessionFactory, alice: Owner
) -> None:
    if not settings.database.is_sqlite:
        pytest.skip("query plans are checked on SQLite; PostgreSQL plans depend on statistics")
    async with transaction(sessions) as session:
        async with recorded_statements(session, kinds=("SELECT",)) as executed:
            await summarize_user_workflows(session, user_id=alice.user_id, now=utcnow())
        assert executed, "the dashboard ran no queries?"
        plans, scans = await plans_and_scans(session, executed)
        assert scans == []
        # Held events are counted from the (workflow, outcome) index, not from every event
        # of the workflow; runs of the last 24 h from the (workflow, created_at) index.
        assert any("(workflow_id=? AND outcome=?)" in plan for plan in plans), plans
        assert any("(workflow_id=? AND created_at>?)" in plan for plan in plans), plans


async def test_retention_prune_finds_old_rows_through_time_indexes(
    settings: Settings, sessions: SessionFactory, alice: Owner
) -> None:
    if not settings.database.is_sqlite:
        pytest.skip("query plans are checked on SQLite; PostgreSQL plans depend on statistics")
    recorded = await store_event(sessions, alice.workflow_id, plan=[])
    async with transaction(sessions) as session:
        run = await session.get(Run, recorded.run_id)
        assert run is not None
        run.status = "succeeded"
        session.add(run)
    later = utcnow() + timedelta(days=1)  # everything stored so far is "old"
    async with transaction(sessions) as session:
        async with recorded_statements(session, kinds=("SELECT", "DELETE")) as executed:
            run_ids = await old_finished_run_ids(session, older_than=later)
            assert await delete_old_runs(session, ids=run_ids, older_than=later) == 1
            event_ids = await unused_old_event_ids(session, older_than=later)
            assert await delete_old_events(session, ids=event_ids, older_than=later) == 1
        plans, scans = await plans_and_scans(session, executed)
        assert scans == []
        # Old finished runs come from the (status, created_at) index, old events from the
        # received_at index; "is it still used by a run" is one lookup per event.
        assert any("(status=? AND created_at<?)" in plan for plan in plans), plans
        assert any("ix_event_received_at (received_at<?)" in plan for plan in plans), plans
