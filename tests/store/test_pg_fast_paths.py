"""PostgreSQL fast paths: intake in one statement, a step claimed and recorded outside the ORM.

They must store exactly what the ORM paths store, keep (run, step, attempt) the claim,
hand anything unusual to the full path, and keep the failure streak right when runs of
one workflow end at the same time (a success waits for an uncommitted failure).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.settings import Settings
from app.store.alerts import count_finished_run
from app.store.db import SessionFactory, transaction
from app.store.events import RecordedEvent, record_event
from app.store.group_commit import GroupCommitter
from app.store.runs import AttemptRecord
from app.store.steps_pg import claim_on_postgres, record_on_postgres
from app.store.steps_sqlite import FULL_PATH, SqliteClaim
from app.store.tables import Event, Run, StepAttempt, Workflow
from app.store.users import create_user, find_user_by_email
from app.workflows.engine import Decision
from tests.store.conftest import HTTP_STEP, Owner, store_event
from tests.support.incoming import json_incoming

LEASE = timedelta(minutes=2)
SUCCEEDED = AttemptRecord("succeeded", 5, {"method": "POST"}, {"status": 200}, "{}", None, [])


@pytest.fixture
def postgres_only(settings: Settings) -> None:
    if settings.database.is_sqlite:
        pytest.skip("a PostgreSQL fast path")


def _engine(sessions: SessionFactory) -> Any:
    return sessions.kw["bind"]


async def _rows(sessions: SessionFactory, recorded: RecordedEvent) -> tuple[Any, Any]:
    async with transaction(sessions) as session:
        event = await session.get(Event, recorded.event_id)
        run = await session.get(Run, recorded.run_id) if recorded.run_id else None
    assert event is not None
    kept = event.model_dump(exclude={"id", "received_at"})
    return kept, run and run.model_dump(include={"workflow_id", "status", "plan", "next_step"})


async def test_intake_in_a_group_commit_stores_what_the_orm_path_stores(
    sessions: SessionFactory, alice: Owner
) -> None:
    committer = GroupCommitter(sessions)

    async def grouped(key: str | None) -> RecordedEvent:
        async with committer.transaction() as session:
            return await record_event(
                session,
                workflow_id=alice.workflow_id,
                incoming=json_incoming(b'{"n": 1}', dedupe_key=key),
                outcome="accepted",
                plan=[HTTP_STEP],
            )

    first, again, plain = await asyncio.gather(grouped("d-1"), grouped("d-1"), grouped(None))
    await committer.close()
    assert first.run_id is not None and not first.duplicate
    assert again.duplicate_of == first.event_id and again.run_id is None
    by_orm = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP])
    assert await _rows(sessions, plain) == await _rows(sessions, by_orm)


async def _queued_run(sessions: SessionFactory, owner: Owner) -> int:
    recorded = await store_event(sessions, owner.workflow_id, plan=[HTTP_STEP])
    assert recorded.run_id is not None
    return recorded.run_id


async def test_a_claimed_step_is_held_and_its_success_ends_the_run(
    postgres_only: None, sessions: SessionFactory, alice: Owner
) -> None:
    run_id = await _queued_run(sessions, alice)
    claimed = await claim_on_postgres(_engine(sessions), run_id=run_id, lease=LEASE)
    assert isinstance(claimed, SqliteClaim)
    assert claimed.claim.attempt == 1 and claimed.outputs == []
    assert claimed.event is not None and claimed.event.parsed_json == '{"n": 1}'
    # The attempt is running: a second claimer gets the full rules (lease, unknown outcome).
    assert await claim_on_postgres(_engine(sessions), run_id=run_id, lease=LEASE) == FULL_PATH
    ended = Decision(next_step=None, status="succeeded")
    await record_on_postgres(
        _engine(sessions), claim=claimed.claim, record=SUCCEEDED, decision=ended, lease=LEASE
    )
    async with transaction(sessions) as session:
        run = await session.get(Run, run_id)
        attempt = await session.get(StepAttempt, claimed.claim.attempt_id)
    assert run is not None and run.status == "succeeded" and run.lease_until is None
    assert attempt is not None and attempt.status == "succeeded" and attempt.response
    assert await claim_on_postgres(_engine(sessions), run_id=run_id, lease=LEASE) is None


async def test_a_run_changed_while_being_claimed_takes_the_full_path(
    postgres_only: None, sessions: SessionFactory, alice: Owner
) -> None:
    run_id = await _queued_run(sessions, alice)
    async with transaction(sessions) as other:  # e.g. a user's action, not yet committed
        changed = sa.update(Run).where(Run.id == run_id).values(status="failed")  # type: ignore[arg-type]
        await other.exec(changed)  # type: ignore[call-overload]
        claiming = asyncio.create_task(
            claim_on_postgres(_engine(sessions), run_id=run_id, lease=LEASE)
        )
        for _ in range(500):
            if claiming.done() or await _lock_waits(sessions):
                break
            await asyncio.sleep(0.01)
    # It read the run as queued, then found it changed when it came to write: no claim.
    assert await claiming == FULL_PATH
    async with transaction(sessions) as session:
        attempts = (await session.exec(sa.select(StepAttempt.id))).all()  # type: ignore[call-overload]
    assert attempts == []


async def _claimed(sessions: SessionFactory, owner: Owner) -> Any:
    claimed = await claim_on_postgres(
        _engine(sessions), run_id=await _queued_run(sessions, owner), lease=LEASE
    )
    assert isinstance(claimed, SqliteClaim)
    return claimed.claim


async def _succeed(sessions: SessionFactory, claim: Any) -> None:
    ended = Decision(next_step=None, status="succeeded")
    await record_on_postgres(
        _engine(sessions), claim=claim, record=SUCCEEDED, decision=ended, lease=LEASE
    )


async def _fail(sessions: SessionFactory, workflow_id: int) -> None:
    async with transaction(sessions) as session:
        await count_finished_run(
            session, workflow_id=workflow_id, failed=True, error="HTTP 500", pause_after=0
        )


async def _streak(sessions: SessionFactory, workflow_id: int) -> int:
    async with transaction(sessions) as session:
        workflow = await session.get(Workflow, workflow_id, populate_existing=True)
    assert workflow is not None
    return workflow.failure_streak


async def _lock_waits(sessions: SessionFactory) -> int:
    async with transaction(sessions) as session:
        query = sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int((await session.exec(query)).scalar_one())  # type: ignore[call-overload]


async def test_a_success_beside_an_uncommitted_failure_waits_and_resets_the_streak(
    postgres_only: None, sessions: SessionFactory, alice: Owner
) -> None:
    claim = await _claimed(sessions, alice)
    async with transaction(sessions) as failing:
        await count_finished_run(
            failing, workflow_id=alice.workflow_id, failed=True, error="HTTP 500", pause_after=0
        )
        success = asyncio.create_task(_succeed(sessions, claim))
        for _ in range(500):
            if success.done() or await _lock_waits(sessions):
                break
            await asyncio.sleep(0.01)
        assert not success.done()  # it waits for the failure's count
    await success
    assert await _streak(sessions, alice.workflow_id) == 0


async def test_successes_ending_together_after_failures_all_record_and_reset(
    postgres_only: None, sessions: SessionFactory, alice: Owner
) -> None:
    claims = [await _claimed(sessions, alice) for _ in range(4)]
    await _fail(sessions, alice.workflow_id)
    await asyncio.gather(*(_succeed(sessions, claim) for claim in claims))
    assert await _streak(sessions, alice.workflow_id) == 0
    async with transaction(sessions) as session:
        statuses = (await session.exec(sa.select(Run.status))).all()  # type: ignore[call-overload]
    assert sorted(status for (status,) in statuses) == ["succeeded"] * 4


async def test_a_block_failing_after_a_nested_rollback_is_rolled_back_whole(
    sessions: SessionFactory,
) -> None:
    """One savepoint name, deferred RELEASEs: the block's own work still goes with it."""
    committer = GroupCommitter(sessions)

    async def block(email: str, *, fail: bool) -> None:
        async with committer.transaction() as session:
            await create_user(session, email=email)
            with contextlib.suppress(IntegrityError):
                async with session.begin_nested():
                    await create_user(session, email="taken@example.com")
            if fail:
                raise RuntimeError("the block fails after its nested rollback")

    async with committer.transaction() as session:
        await create_user(session, email="taken@example.com")
    results = await asyncio.gather(
        block("kept@example.com", fail=False),
        block("dropped@example.com", fail=True),
        block("also-kept@example.com", fail=False),
        return_exceptions=True,
    )
    await committer.close()
    assert [type(result) for result in results] == [type(None), RuntimeError, type(None)]
    async with transaction(sessions) as session:
        stored = {e for e in ("kept", "dropped", "also-kept") if await _user(session, e)}
    assert stored == {"kept", "also-kept"}


async def _user(session: Any, name: str) -> bool:
    return await find_user_by_email(session, email=f"{name}@example.com") is not None
