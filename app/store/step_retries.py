"""Retrying a failed run from its failed step: the SAME run resumes with a new attempt.

Earlier steps' outputs stay (their succeeded attempts feed the templates as before);
the failed step takes the workflow's current config, so a fix made after the failure
is what runs. A step that came from a chosen path keeps the run's copy (paths are
spliced into the run when they are chosen, so there is no current twin to take).

A manual retry starts a new "round" of automatic retries: `tries_before_round` tells
the worker how many attempts of the step came before it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.event_data import ReplayRefused, refuse_if_data_deleted
from app.store.tables import Run, StepAttempt, utcnow
from app.workflows.definition import PATHS_TYPE
from app.workflows.engine import NOT_BEFORE_KEY

# Attempt statuses that end a round of tries (the run failed on them).
ROUND_ENDING = ("failed", "unknown")


async def retry_from_failed_step(
    session: AsyncSession, *, run_id: int, current_plan: list[dict[str, Any]], lease: timedelta
) -> Run:
    """Queue the failed run again at its failed step; raises ReplayRefused saying why not."""
    run = await session.get(Run, run_id, with_for_update=True, populate_existing=True)
    assert run is not None
    if run.status != "failed":
        raise ReplayRefused(_not_failed_message(run.status))
    await refuse_if_data_deleted(session, event_id=run.event_id)
    index = run.next_step
    plan = list(run.plan)
    plan[index] = _step_to_retry(plan, index, current_plan)
    now = utcnow()
    run.plan = plan
    run.status = "queued"
    run.error = None
    run.finished_at = None
    run.lease_until = now + lease
    run.updated_at = now
    session.add(run)
    return run


def _not_failed_message(status: str) -> str:
    if status in ("queued", "running"):
        return "This run has not finished yet, so there is no failed step to retry."
    return (
        f"Only a failed run can be retried from its failed step; this run {status}. "
        "Use Replay to run it again from the start."
    )


def _step_to_retry(
    plan: list[dict[str, Any]], index: int, current_plan: list[dict[str, Any]]
) -> dict[str, Any]:
    """The failed step as it should run now: the current config when the workflow has it."""
    first_path = next((i for i, s in enumerate(plan) if s.get("type") == PATHS_TYPE), None)
    from_a_path = first_path is not None and index > first_path
    if from_a_path:
        return {key: value for key, value in plan[index].items() if key != NOT_BEFORE_KEY}
    stored_type = plan[index].get("type")
    if index >= len(current_plan) or current_plan[index].get("type") != stored_type:
        raise ReplayRefused(
            f"The workflow changed since this run: its step {index + 1} is no longer the "
            f"{stored_type} step that failed. Replay the run from the start instead."
        )
    return dict(current_plan[index])


async def tries_before_round(
    session: AsyncSession, *, run_id: int, step_index: int, attempt: int
) -> int:
    """Attempts of this step that belong to earlier rounds (ended by a manual retry)."""
    query = select(func.max(StepAttempt.attempt)).where(
        StepAttempt.run_id == run_id,
        StepAttempt.step_index == step_index,
        col(StepAttempt.attempt) < attempt,
        col(StepAttempt.status).in_(ROUND_ENDING),
    )
    return int((await session.exec(query)).first() or 0)
