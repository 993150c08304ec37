"""Claiming steps: a step runs once per attempt, a dead worker's step is retried, leases expire."""

from __future__ import annotations

from datetime import timedelta

from app.store.db import SessionFactory, transaction
from app.store.history import list_run_attempts
from app.store.runs import (
    AttemptRecord,
    StepClaim,
    claim_next_step,
    record_step_outcome,
    runs_needing_a_nudge,
)
from app.store.tables import Run, StepAttempt, utcnow
from app.workflows.engine import decide_after_step
from tests.store.conftest import HTTP_STEP, Owner, store_event

LEASE = timedelta(minutes=2)


async def claim(
    sessions: SessionFactory, run_id: int, lease: timedelta = LEASE
) -> StepClaim | None:
    async with transaction(sessions) as session:
        return await claim_next_step(session, run_id=run_id, lease=lease)


async def finish(sessions: SessionFactory, step: StepClaim, status: str = "succeeded") -> None:
    record = AttemptRecord(
        status=status,
        duration_ms=5,
        request=None,
        response=None,
        output_json=None,
        error="boom" if status == "failed" else None,
        warnings=[],
    )
    decision = decide_after_step(
        outcome=status,  # type: ignore[arg-type]
        step_index=step.step_index,
        plan_length=step.plan_length,
    )
    async with transaction(sessions) as session:
        await record_step_outcome(
            session, claim=step, record=record, decision=decision, lease=LEASE
        )


async def attempts(sessions: SessionFactory, run_id: int) -> list[StepAttempt]:
    async with transaction(sessions) as session:
        return await list_run_attempts(session, run_id=run_id)


async def run_row(sessions: SessionFactory, run_id: int) -> Run:
    async with transaction(sessions) as session:
        run = await session.get(Run, run_id)
    assert run is not None
    return run


async def new_run(sessions: SessionFactory, owner: Owner, steps: int = 1) -> int:
    recorded = await store_event(sessions, owner.workflow_id, plan=[HTTP_STEP] * steps)
    assert recorded.run_id is not None
    return recorded.run_id


async def test_claim_next_step_while_running_returns_none(
    sessions: SessionFactory, alice: Owner
) -> None:
    run_id = await new_run(sessions, alice)
    first = await claim(sessions, run_id)
    assert first is not None and first.step_index == 0
    assert await claim(sessions, run_id) is None
    assert [(a.attempt, a.status) for a in await attempts(sessions, run_id)] == [(1, "running")]
    assert (await run_row(sessions, run_id)).status == "running"


async def test_claim_next_step_after_lease_expiry_abandons_and_retries(
    sessions: SessionFactory, alice: Owner
) -> None:
    run_id = await new_run(sessions, alice)
    stale = await claim(sessions, run_id, lease=timedelta(0))
    assert stale is not None
    retry = await claim(sessions, run_id, lease=timedelta(0))
    assert retry is not None and retry.attempt_id != stale.attempt_id
    rows = await attempts(sessions, run_id)
    assert [(a.attempt, a.status) for a in rows] == [(1, "abandoned"), (2, "running")]
    assert rows[0].error is not None and "stopped before it finished" in rows[0].error


async def test_claim_next_step_never_claims_a_completed_step_again(
    sessions: SessionFactory, alice: Owner
) -> None:
    run_id = await new_run(sessions, alice, steps=2)
    first = await claim(sessions, run_id)
    assert first is not None
    await finish(sessions, first)
    second = await claim(sessions, run_id)
    assert second is not None and second.step_index == 1
    await finish(sessions, second)

    assert await claim(sessions, run_id) is None
    assert [(a.step_index, a.status) for a in await attempts(sessions, run_id)] == [
        (0, "succeeded"),
        (1, "succeeded"),
    ]
    run = await run_row(sessions, run_id)
    assert run.status == "succeeded" and run.finished_at is not None


async def test_claim_next_step_of_a_failed_run_returns_none(
    sessions: SessionFactory, alice: Owner
) -> None:
    run_id = await new_run(sessions, alice, steps=2)
    first = await claim(sessions, run_id)
    assert first is not None
    await finish(sessions, first, status="failed")
    assert await claim(sessions, run_id) is None
    run = await run_row(sessions, run_id)
    assert (run.status, run.error) == ("failed", "boom")
    assert len(await attempts(sessions, run_id)) == 1


async def test_runs_needing_a_nudge_are_unfinished_runs_past_their_lease(
    sessions: SessionFactory, alice: Owner
) -> None:
    stale = (
        await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP], lease=timedelta(0))
    ).run_id
    fresh = await new_run(sessions, alice)
    done = (
        await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP], lease=timedelta(0))
    ).run_id
    assert stale is not None and done is not None
    finished = await claim(sessions, done)
    assert finished is not None
    await finish(sessions, finished)

    later = utcnow() + timedelta(seconds=1)
    async with transaction(sessions) as session:
        due = await runs_needing_a_nudge(session, now=later, limit=10)
    assert due == [stale]
    assert fresh not in due


async def test_claim_after_crash_marks_unsafe_step_unknown_instead_of_repeating(
    sessions: SessionFactory, alice: Owner
) -> None:
    run_id = await new_run(sessions, alice)
    stale = await claim(sessions, run_id, lease=timedelta(0))
    assert stale is not None
    async with transaction(sessions) as session:
        again = await claim_next_step(
            session, run_id=run_id, lease=timedelta(0), safe_to_repeat=lambda _step: False
        )
    assert again is None
    rows = await attempts(sessions, run_id)
    assert [(a.attempt, a.status) for a in rows] == [(1, "unknown")]
    run = await run_row(sessions, run_id)
    assert run.status == "failed"
    assert run.error is not None and run.error.startswith("Unknown outcome")
