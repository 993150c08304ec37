"""The SQLite fast path for claims and records keeps the full path's rules and row shapes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from app.store.db import SessionFactory, transaction
from app.store.migrate import upgrade_to_head
from app.store.runs import AttemptRecord, claim_next_step
from app.store.sqlite_writer import SqliteWriter
from app.store.steps_sqlite import (
    FULL_PATH,
    SqliteClaim,
    can_record_on_sqlite,
    claim_on_sqlite,
    record_on_sqlite,
)
from app.store.tables import Run, StepAttempt
from app.workflows.engine import Decision
from tests.store.conftest import HTTP_STEP, Owner, store_event

LEASE = timedelta(minutes=2)
TWO_STEPS = [HTTP_STEP, HTTP_STEP]


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite only: this path exists for the SQLite writer thread."""
    url = f"sqlite:///{tmp_path / 'hookline.db'}"
    upgrade_to_head(url)
    yield url


@pytest.fixture
async def writer(database_url: str) -> SqliteWriter:
    return SqliteWriter(database_url.removeprefix("sqlite:///"))


async def _claim(writer: SqliteWriter, run_id: int) -> SqliteClaim | str | None:
    return await writer.run(lambda c: claim_on_sqlite(c, run_id=run_id, lease=LEASE))


async def test_two_claims_in_one_batch_claim_the_step_once(
    sessions: SessionFactory, alice: Owner, writer: SqliteWriter
) -> None:
    run_id = (await store_event(sessions, alice.workflow_id, plan=TWO_STEPS)).run_id
    assert run_id is not None
    first, second = await asyncio.gather(_claim(writer, run_id), _claim(writer, run_id))
    await writer.close()
    assert isinstance(first, SqliteClaim)
    assert first.claim.step_index == 0 and first.claim.attempt == 1
    assert first.event is not None and first.event.headers == [["content-type", "application/json"]]
    assert second == FULL_PATH  # the attempt is running: only the full rules may decide
    async with transaction(sessions) as session:
        assert await claim_next_step(session, run_id=run_id, lease=LEASE) is None  # lease held
        run = await session.get(Run, run_id)
        assert run is not None and run.status == "running"
        assert run.lease_until is not None and run.updated_at is not None


async def test_recorded_steps_read_back_like_the_orm_wrote_them(
    sessions: SessionFactory, alice: Owner, writer: SqliteWriter
) -> None:
    run_id = (await store_event(sessions, alice.workflow_id, plan=TWO_STEPS)).run_id
    assert run_id is not None
    claimed = await _claim(writer, run_id)
    assert isinstance(claimed, SqliteClaim)
    record = AttemptRecord(
        status="succeeded",
        duration_ms=12,
        request={"method": "POST", "url": "https://example.com/"},
        response={"status": 200, "body": "ok"},
        output_json='{"response": {"status": 200}}',
        error=None,
        warnings=[],
    )
    moved_on = Decision(status="running", next_step=1)
    assert can_record_on_sqlite(claimed, moved_on)
    await writer.run(
        lambda c: record_on_sqlite(
            c, claim=claimed.claim, record=record, decision=moved_on, lease=LEASE
        )
    )
    second = await _claim(writer, run_id)
    assert isinstance(second, SqliteClaim)
    assert second.claim.step_index == 1
    assert second.outputs == ['{"response": {"status": 200}}']  # step 0's output for templates
    ended = Decision(status="succeeded", next_step=None)
    await writer.run(
        lambda c: record_on_sqlite(
            c, claim=second.claim, record=record, decision=ended, lease=LEASE
        )
    )
    await writer.close()
    async with transaction(sessions) as session:
        run = await session.get(Run, run_id)
        attempt = await session.get(StepAttempt, claimed.claim.attempt_id)
    assert run is not None and run.status == "succeeded" and run.next_step == 1
    assert run.finished_at is not None and run.finished_at.tzinfo is not None
    assert run.lease_until is None
    assert attempt is not None and attempt.status == "succeeded"
    assert attempt.request == record.request and attempt.response == record.response
    assert attempt.finished_at is not None and attempt.finished_at >= attempt.started_at


async def test_unusual_outcomes_are_left_to_the_full_path(
    sessions: SessionFactory, alice: Owner, writer: SqliteWriter
) -> None:
    run_id = (await store_event(sessions, alice.workflow_id, plan=TWO_STEPS)).run_id
    assert run_id is not None
    claimed = await _claim(writer, run_id)
    await writer.close()
    assert isinstance(claimed, SqliteClaim)
    failed = Decision(status="failed", next_step=None)  # alerts and auto-pause count it
    branch = Decision(status="running", next_step=1, insert_steps=(HTTP_STEP,))
    assert not can_record_on_sqlite(claimed, failed)
    assert not can_record_on_sqlite(claimed, branch)


async def test_a_finished_or_missing_run_claims_nothing(
    sessions: SessionFactory, alice: Owner, writer: SqliteWriter
) -> None:
    run_id = (await store_event(sessions, alice.workflow_id, plan=[])).run_id
    assert run_id is not None
    assert await _claim(writer, run_id) == FULL_PATH  # an empty plan: the full path ends it
    assert await _claim(writer, run_id + 1000) is None
    await writer.close()
