"""Named queries for executing runs: claiming a step, recording its outcome, leases.

A step attempt is claimed by inserting a row unique on (run, step, attempt), so a
redelivered message never runs a step twice. A run's `lease_until` tells the sweeper
when its message may have been lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import TERMINAL_RUN_STATUSES, Run, StepAttempt, utcnow
from app.workflows.engine import Decision, continued_plan, not_before

# A delayed message may arrive a moment early (clocks differ between machines).
_WAKE_GRACE = timedelta(seconds=1)


@dataclass(frozen=True)
class StepClaim:
    """Permission to run one step of one run, held until the lease runs out."""

    run_id: int
    workflow_id: int
    event_id: int | None
    step_index: int
    attempt_id: int
    step: dict[str, Any]
    plan_length: int
    attempt: int = 1


async def claim_next_step(
    session: AsyncSession,
    *,
    run_id: int,
    lease: timedelta,
    safe_to_repeat: Callable[[dict[str, Any]], bool] = lambda _step: True,
) -> StepClaim | None:
    """Claim the run's next step, or None when there is nothing (left) to do for us.

    An attempt left "running" past its lease belonged to a worker that died. If the
    step is safe to repeat it is tried again; otherwise it is marked "unknown" and the
    run fails, so a POST whose fate is unknown is never sent twice.
    """
    run = await session.get(Run, run_id, with_for_update=True)
    if run is None or run.status in TERMINAL_RUN_STATUSES:
        return None
    now = utcnow()
    if run.next_step >= len(run.plan):
        _finish_run(run, status="succeeded", now=now)
        session.add(run)
        return None
    due = not_before(run.plan[run.next_step])
    if due is not None and due > now + _WAKE_GRACE:
        return None  # a delay step is still waiting; the sweeper or a delayed message wakes it
    previous = await _attempts_for_step(session, run_id, run.next_step)
    if previous and previous[-1].status == "running":
        if previous[-1].started_at + lease > now:
            return None  # another worker holds this step
        if not safe_to_repeat(run.plan[run.next_step]):
            _mark_unknown_outcome(previous[-1], run, now)
            session.add_all([previous[-1], run])
            return None
        previous[-1].status = "abandoned"
        previous[-1].finished_at = now
        previous[-1].error = "The worker running this step stopped before it finished."
        session.add(previous[-1])
    step = run.plan[run.next_step]
    attempt = StepAttempt(
        run_id=run_id,
        step_index=run.next_step,
        attempt=len(previous) + 1,
        step_type=str(step.get("type", "")),
        started_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        return None
    run.status = "running"
    run.lease_until = now + lease
    run.updated_at = now
    session.add(run)
    assert attempt.id is not None
    return StepClaim(
        run_id=run_id,
        workflow_id=run.workflow_id,
        event_id=run.event_id,
        step_index=run.next_step,
        attempt_id=attempt.id,
        step=step,
        plan_length=len(run.plan),
        attempt=attempt.attempt,
    )


UNKNOWN_OUTCOME = (
    "Unknown outcome: the worker running this step stopped mid-way, so Hookline cannot "
    "tell whether the request reached its destination. It was not sent again because "
    "repeating it might not be safe. Check the destination, then replay the run if "
    'needed, or mark the step "safe to send twice".'
)


def _mark_unknown_outcome(attempt: StepAttempt, run: Run, now: datetime) -> None:
    attempt.status = "unknown"
    attempt.finished_at = now
    attempt.error = UNKNOWN_OUTCOME
    _finish_run(run, status="failed", now=now, error=UNKNOWN_OUTCOME)


async def _attempts_for_step(
    session: AsyncSession, run_id: int, step_index: int
) -> list[StepAttempt]:
    query = (
        select(StepAttempt)
        .where(StepAttempt.run_id == run_id, StepAttempt.step_index == step_index)
        .order_by(col(StepAttempt.attempt))
    )
    return list((await session.exec(query)).all())


@dataclass(frozen=True)
class AttemptRecord:
    """What happened when a step ran, as it is stored."""

    status: str
    duration_ms: int
    request: dict[str, Any] | None
    response: dict[str, Any] | None
    output_json: str | None
    error: str | None
    warnings: list[str]


async def record_step_outcome(
    session: AsyncSession,
    *,
    claim: StepClaim,
    record: AttemptRecord,
    decision: Decision,
    lease: timedelta,
    lease_until: datetime | None = None,
) -> None:
    """Store the attempt's result and move the run on, in one transaction.

    `lease_until` overrides the usual `now + lease` (a delay step waits past it).
    """
    now = utcnow()
    attempt = await session.get(StepAttempt, claim.attempt_id)
    run = await session.get(Run, claim.run_id, with_for_update=True)
    assert attempt is not None and run is not None
    attempt.status = record.status
    attempt.finished_at = now
    attempt.duration_ms = record.duration_ms
    attempt.request = record.request
    attempt.response = record.response
    attempt.output_json = record.output_json
    attempt.error = record.error
    attempt.warnings = record.warnings or None
    session.add(attempt)
    if decision.next_step is None:
        _finish_run(run, status=decision.status, now=now, error=record.error)
    else:
        if decision.insert_steps or decision.wake_at is not None:
            run.plan = continued_plan(run.plan, decision)
        run.next_step = decision.next_step
        run.status = decision.status
        run.lease_until = lease_until or now + lease
        run.updated_at = now
    session.add(run)


def _finish_run(run: Run, *, status: str, now: datetime, error: str | None = None) -> None:
    run.status = status
    run.error = error if status == "failed" else None
    run.finished_at = now
    run.updated_at = now
    run.lease_until = None


async def succeeded_outputs(session: AsyncSession, *, run_id: int, before_step: int) -> list[str]:
    """Exact-JSON outputs of the steps before `before_step`, in order (for templates)."""
    query = (
        select(StepAttempt.step_index, StepAttempt.output_json)
        .where(StepAttempt.run_id == run_id, StepAttempt.status == "succeeded")
        .where(StepAttempt.step_index < before_step)
        .order_by(col(StepAttempt.step_index))
    )
    return [output or "null" for _index, output in (await session.exec(query)).all()]


async def runs_needing_a_nudge(session: AsyncSession, *, now: datetime, limit: int) -> list[int]:
    """Unfinished runs whose lease ran out: their message was lost or their worker died."""
    query = (
        select(Run.id)
        .where(col(Run.status).in_(("queued", "running")))
        .where(col(Run.lease_until) < now)
        .order_by(col(Run.lease_until))
        .limit(limit)
    )
    return [run_id for run_id in (await session.exec(query)).all() if run_id is not None]


async def extend_lease(session: AsyncSession, *, run_ids: list[int], until: datetime) -> None:
    for run_id in run_ids:
        run = await session.get(Run, run_id)
        if run is not None:
            run.lease_until = until
            session.add(run)
