"""Running one step of one run: claim it, execute the action, record what happened.

The database transaction is never held open while the action talks to the outside
world: claim (commit), act, record (commit), then enqueue the next step.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.integrations.base import ActionContext, ActionResult
from app.integrations.registry import UnknownActionType
from app.integrations.repeat_safety import is_safe_to_repeat
from app.integrations.secret_scrub import scrub_result
from app.logs import bind_log_context, log_context
from app.store.bulk_replays import advance_after_run
from app.store.events import get_event
from app.store.runs import (
    AttemptRecord,
    StepClaim,
    claim_next_step,
    record_step_outcome,
    succeeded_outputs,
)
from app.store.samples import event_trigger
from app.store.step_retries import tries_before_round
from app.store.steps_pg import claim_on_postgres, record_on_postgres
from app.store.steps_sqlite import (
    FULL_PATH,
    FullPath,
    SqliteClaim,
    can_record_on_sqlite,
    claim_on_sqlite,
    record_on_sqlite,
)
from app.store.tables import Workflow, utcnow
from app.worker.alerts import count_if_claim_ended_run, count_run_end
from app.worker.runtime import WorkerRuntime
from app.worker.step_configs import invalid_settings
from app.workflows.engine import (
    Decision,
    decide_after_step,
    schedule_wake,
    template_context,
)
from app.workflows.exact_json import dump_exact_json, load_exact_json
from app.workflows.retries import RetryPolicy, policy_with_tries, retry_decision, retry_delay

log = logging.getLogger("hookline.worker")


async def run_next_step(runtime: WorkerRuntime, run_id: int) -> None:
    """Advance one run by one step; safe to call any number of times for the same run."""
    with log_context(run_id=run_id):
        await _advance(runtime, run_id)


async def _advance(runtime: WorkerRuntime, run_id: int) -> None:
    started = await _claim(runtime, run_id)
    if started is None:
        return
    claim = started.claim
    bind_log_context(
        workflow_id=claim.workflow_id,
        event_id=claim.event_id,
        step=claim.step_index,
        step_type=claim.step.get("type"),
        attempt=claim.attempt,
    )
    log.info("running step", extra={"run_id": run_id, "step_index": claim.step_index})
    result = await _execute(runtime, claim.step, started.context)
    decision, record = _decide(started.tries, claim, result)
    wake = schedule_wake(wake_at=decision.wake_at, now=utcnow(), lease=runtime.lease)
    followers: list[int] = []
    if started.fast is not None and can_record_on_sqlite(started.fast, decision):
        # The common outcome: a few statements on SQLite's writer thread, one on PostgreSQL.
        await _record_fast(runtime, claim, record, decision)
    else:
        followers = await _record(runtime, claim, record, decision, wake.lease_until)
    log.info(
        "step finished",
        extra={
            "run_id": run_id,
            "step_index": claim.step_index,
            "outcome": result.outcome,
            # Our own plain-English reason (secrets already scrubbed), for operators.
            "error": (result.error or "")[:300] or None,
        },
    )
    if decision.next_step is not None and wake.enqueue_delay_ms is not None:
        runtime.dispatcher.run_step(run_id, delay_ms=wake.enqueue_delay_ms or None)
    for follower in followers:  # the next run of a bulk replay (the sweeper retries if lost)
        runtime.dispatcher.try_run_step(follower)


@dataclass(frozen=True)
class _Started:
    """A claimed step and what running it needs."""

    claim: StepClaim
    context: dict[str, Any]
    tries: RetryRound
    fast: SqliteClaim | None = None  # claimed by the fast path (SQLite writer or PostgreSQL)


async def _claim(runtime: WorkerRuntime, run_id: int) -> _Started | None:
    """Claim the next step: on the fast path when the case is common, else in full."""
    writer, engine = runtime.sqlite_writer, _postgres(runtime)
    claimed: SqliteClaim | FullPath | None = FULL_PATH
    if writer is not None:
        claimed = await writer.run(partial(claim_on_sqlite, run_id=run_id, lease=runtime.lease))
    elif engine is not None:
        claimed = await claim_on_postgres(engine, run_id=run_id, lease=runtime.lease)
    if claimed is None:
        return None
    if claimed == FULL_PATH:
        return await _claim_in_full(runtime, run_id)
    assert isinstance(claimed, SqliteClaim)
    outputs = [load_exact_json(text) for text in claimed.outputs]
    tries = RetryRound(
        policy=policy_with_tries(runtime.retry_policy, claimed.retry_max_tries),
        try_number=claimed.claim.attempt - claimed.earlier_round_attempts,
    )
    context = template_context(event_trigger(claimed.event), outputs)
    return _Started(claimed.claim, context, tries, fast=claimed)


def _postgres(runtime: WorkerRuntime) -> AsyncEngine | None:
    """The engine when the database is PostgreSQL (its fast path needs no writer thread)."""
    if runtime.settings.database.is_sqlite:
        return None
    engine = runtime.sessions.kw.get("bind")
    return engine if isinstance(engine, AsyncEngine) else None


async def _record_fast(
    runtime: WorkerRuntime, claim: StepClaim, record: AttemptRecord, decision: Decision
) -> None:
    writer, engine, lease = runtime.sqlite_writer, _postgres(runtime), runtime.lease
    if writer is not None:
        unit = partial(record_on_sqlite, claim=claim, record=record, decision=decision, lease=lease)
        await writer.run(unit)
    elif engine is not None:
        await record_on_postgres(engine, claim=claim, record=record, decision=decision, lease=lease)


async def _claim_in_full(runtime: WorkerRuntime, run_id: int) -> _Started | None:
    async with runtime.transaction() as session:
        claimed_at = utcnow()
        claim = await claim_next_step(
            session, run_id=run_id, lease=runtime.lease, safe_to_repeat=is_safe_to_repeat
        )
        if claim is None:  # the claim itself may have ended the run (unknown outcome)
            await count_if_claim_ended_run(
                session, runtime.settings, run_id=run_id, since=claimed_at
            )
            return None
        context = await _load_context(session, claim)
        tries = await _retry_round(session, runtime, claim)
    return _Started(claim, context, tries)


async def _record(
    runtime: WorkerRuntime,
    claim: StepClaim,
    record: AttemptRecord,
    decision: Decision,
    lease_until: datetime,
) -> list[int]:
    """Store the outcome in full (alerts, auto-pause, bulk replays); the runs to start next."""
    async with runtime.transaction() as session:
        await record_step_outcome(
            session,
            claim=claim,
            record=record,
            decision=decision,
            lease=runtime.lease,
            lease_until=lease_until,
        )
        if decision.next_step is not None:
            return []
        # The run ended: count it for alerts and auto-pause, move its bulk replay on.
        await count_run_end(
            session,
            runtime.settings,
            workflow_id=claim.workflow_id,
            status=decision.status,
            error=record.error,
        )
        return await advance_after_run(session, run_id=claim.run_id, lease=runtime.lease)


@dataclass(frozen=True)
class RetryRound:
    """The retry policy for this run's workflow, and which try of the round this one is."""

    policy: RetryPolicy
    try_number: int


async def _retry_round(session: Any, runtime: WorkerRuntime, claim: StepClaim) -> RetryRound:
    workflow = await session.get(Workflow, claim.workflow_id)
    own_tries = workflow.retry_max_tries if workflow is not None else None
    earlier = await tries_before_round(
        session, run_id=claim.run_id, step_index=claim.step_index, attempt=claim.attempt
    )
    policy = policy_with_tries(runtime.retry_policy, own_tries)
    return RetryRound(policy=policy, try_number=claim.attempt - earlier)


def _decide(
    tries: RetryRound, claim: StepClaim, result: ActionResult
) -> tuple[Decision, AttemptRecord]:
    """What the run does next; a retryable failure schedules another try of the same step."""
    record = _as_record(result)
    if result.outcome == "failed" and result.retryable:
        delay = retry_delay(
            tries.policy,
            attempt=tries.try_number,
            retry_after_seconds=result.retry_after_seconds,
        )
        if delay is not None:
            due = utcnow() + delay
            note = f"Try {tries.try_number + 1} of {tries.policy.max_tries} is due at "
            note += f"{due:%Y-%m-%d %H:%M:%S} UTC."
            said = (result.error or "The step failed").rstrip()
            said += "" if said.endswith((".", "!", "?")) else "."  # "…Error. Try 2 of 8…"
            record = replace(record, status="retry_scheduled", error=f"{said} {note}")
            return retry_decision(step_index=claim.step_index, now=utcnow(), delay=delay), record
        if tries.policy.max_tries > 1:
            gave_up = f"(gave up after {tries.policy.max_tries} tries)"
            record = replace(record, error=f"{result.error} {gave_up}")
    decision = decide_after_step(
        outcome=result.outcome,
        step_index=claim.step_index,
        plan_length=claim.plan_length,
        flow=result.flow,
    )
    return decision, record


async def _load_context(session: Any, claim: StepClaim) -> dict[str, Any]:
    event = None
    if claim.event_id is not None:
        event = await get_event(session, event_id=claim.event_id)
    outputs = await succeeded_outputs(session, run_id=claim.run_id, before_step=claim.step_index)
    return template_context(event_trigger(event), [load_exact_json(text) for text in outputs])


async def _execute(runtime: WorkerRuntime, step: dict[str, Any], context: dict[str, Any]) -> Any:
    started = time.monotonic()
    try:
        ready = runtime.step_configs.open(step)
    except UnknownActionType as exc:
        return _failure(str(exc), started)
    except ValidationError as exc:
        return _failure(invalid_settings(exc), started)
    strict = bool(getattr(ready.config, "strict_templates", False))
    ctx = ActionContext(
        template_context=context,
        client=runtime.client,
        policy=runtime.policy,
        on_missing="error" if strict else "warn",
    )
    try:
        result = await ready.action.execute(ready.config, ctx)
    except Exception as exc:  # an action bug must fail the step visibly, not hang the run
        log.exception("action crashed", extra={"step_type": step.get("type")})
        return _failure(f"Hookline hit an internal error running this step ({exc!r}).", started)
    # A destination may echo the request: its secrets must not be recorded.
    return scrub_result(result, secrets=ready.secrets, config=ready.opened)


def _failure(message: str, started: float) -> ActionResult:
    return ActionResult(
        outcome="failed",
        request=None,
        response=None,
        output=None,
        error=message,
        warnings=(),
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _as_record(result: ActionResult) -> AttemptRecord:
    return AttemptRecord(
        status=result.outcome,
        duration_ms=result.duration_ms,
        request=result.request,
        response=result.response,
        output_json=dump_exact_json(result.output) if result.output is not None else None,
        error=result.error,
        warnings=list(result.warnings),
    )
