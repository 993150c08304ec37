"""Failure alert and auto-pause state on the workflow row, and the claims that send alerts.

A finished run is counted in the same transaction that records it: a failure adds one
to `failure_streak` and `unalerted_failures` (atomic UPDATEs, so concurrent workers
never lose a count); any other ending resets the streak, except a step whose outcome
our own crashed worker left unknown (alerted, not counted). When the streak reaches the
operator's limit the workflow is switched off with a `paused_reason`, and its
`alert_sent_at` is cleared so the pause notice goes out at once, past the hourly limit.

Sending is claim, send, settle: a clock claims a workflow's alert by moving
`alert_sent_at` from the value it read to now (a conditional UPDATE: of several
clocks, one wins), sends, then subtracts the failures it reported. If sending fails
the claim is released; if the clock dies mid-way the count is still in the row and
goes out in the next window: an alert can be late, never lost or doubled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.schedule_state import rows_changed
from app.store.tables import Run, User, Workflow

MAX_ERROR_IN_REASON = 300


async def count_finished_run(
    session: AsyncSession,
    *,
    workflow_id: int,
    failed: bool,
    error: str | None,
    pause_after: int,
    our_crash: bool = False,
) -> bool:
    """Count a run that just ended; True when this failure paused the workflow.

    Both counts are unconditional UPDATEs that lock the row: a success waits for a
    concurrent failure's transaction and then resets the streak (a `WHERE streak != 0`
    would read the streak from before that failure and skip the reset). The pause is
    decided on the streak this very UPDATE produced. A run our own worker left with an
    unknown outcome (`our_crash`) is reported to the owner but is not the workflow's
    failure, so it neither adds to nor resets the streak.
    """
    workflow = col(Workflow.id) == workflow_id
    if not failed:
        await session.exec(sa.update(Workflow).where(workflow).values(failure_streak=0))
        return False
    if our_crash:
        await session.exec(
            sa.update(Workflow)
            .where(workflow)
            .values(unalerted_failures=Workflow.unalerted_failures + 1)
        )
        return False
    counted = await session.exec(
        sa.update(Workflow)
        .where(workflow)
        .values(
            failure_streak=Workflow.failure_streak + 1,
            unalerted_failures=Workflow.unalerted_failures + 1,
        )
        .returning(col(Workflow.failure_streak), col(Workflow.enabled))
    )
    row = counted.first()
    if row is None or pause_after <= 0 or not row.enabled or row.failure_streak < pause_after:
        return False
    pause = (
        sa.update(Workflow)
        .where(workflow, col(Workflow.enabled).is_(True))
        .values(
            enabled=False,
            paused_reason=pause_reason(row.failure_streak, error),
            alert_sent_at=None,  # the pause notice is not held back by the hourly limit
            next_tick_at=None,
            version=Workflow.version + 1,  # an editor opened before must not undo the pause
        )
    )
    return rows_changed(await session.exec(pause)) == 1


def pause_reason(streak: int, error: str | None) -> str:
    runs = "run" if streak == 1 else "runs"
    reason = f"Paused after {streak} failed {runs} in a row"
    if error:
        shortened = error if len(error) <= MAX_ERROR_IN_REASON else error[:299] + "…"
        reason += f"; last error: {shortened.rstrip()}"
    if not reason.endswith((".", "!", "?")):
        reason += "."
    return reason + " Turn the workflow back on once the problem is fixed."


@dataclass(frozen=True)
class AlertDue:
    """A workflow with failures to report, as read before claiming."""

    workflow_id: int
    alert_sent_at: datetime | None


async def alerts_due(
    session: AsyncSession, *, now: datetime, min_interval: timedelta, limit: int = 100
) -> list[AlertDue]:
    """Workflows with unreported failures whose last alert is at least `min_interval` old."""
    query = (
        select(Workflow.id, Workflow.alert_sent_at)
        .where(col(Workflow.unalerted_failures) > 0)
        .where(
            sa.or_(
                col(Workflow.alert_sent_at).is_(None),
                col(Workflow.alert_sent_at) <= now - min_interval,
            )
        )
        .order_by(col(Workflow.id))
        .limit(limit)
    )
    rows = (await session.exec(query)).all()
    return [AlertDue(workflow_id, sent_at) for workflow_id, sent_at in rows if workflow_id]


async def claim_alert(session: AsyncSession, *, due: AlertDue, now: datetime) -> bool:
    """Take the right to send this alert; False when another clock took it first."""
    seen = col(Workflow.alert_sent_at)
    unchanged = seen.is_(None) if due.alert_sent_at is None else seen == due.alert_sent_at
    claim = (
        sa.update(Workflow)
        .where(col(Workflow.id) == due.workflow_id, unchanged)
        .where(col(Workflow.unalerted_failures) > 0)
        .values(alert_sent_at=now)
    )
    return rows_changed(await session.exec(claim)) == 1


@dataclass(frozen=True)
class AlertFacts:
    """What the alert e-mail says."""

    workflow_id: int
    workflow_name: str
    owner_email: str
    failures: int
    last_error: str | None
    paused_reason: str | None


async def alert_facts(session: AsyncSession, *, workflow_id: int) -> AlertFacts | None:
    query = (
        select(Workflow, User.email)
        .join(User, col(User.id) == col(Workflow.user_id))
        .where(col(Workflow.id) == workflow_id)
    )
    row = (await session.exec(query)).first()
    if row is None:
        return None
    workflow, email = row
    last_error = (
        await session.exec(
            select(Run.error)
            .where(Run.workflow_id == workflow_id, Run.status == "failed")
            .order_by(col(Run.id).desc())
            .limit(1)
        )
    ).first()
    return AlertFacts(
        workflow_id=workflow_id,
        workflow_name=workflow.name,
        owner_email=email,
        failures=workflow.unalerted_failures,
        last_error=last_error,
        paused_reason=None if workflow.enabled else workflow.paused_reason,
    )


async def settle_alert(session: AsyncSession, *, workflow_id: int, reported: int) -> None:
    """The alert went out: forget the failures it reported (newer ones stay counted)."""
    left = col(Workflow.unalerted_failures)
    remaining = sa.case((left > reported, left - reported), else_=0)
    await session.exec(
        sa.update(Workflow)
        .where(col(Workflow.id) == workflow_id)
        .values(unalerted_failures=remaining)
    )


async def release_alert(
    session: AsyncSession, *, workflow_id: int, claimed_at: datetime, previous: datetime | None
) -> None:
    """Sending failed: give the claim back so the next round tries again."""
    await session.exec(
        sa.update(Workflow)
        .where(col(Workflow.id) == workflow_id, col(Workflow.alert_sent_at) == claimed_at)
        .values(alert_sent_at=previous)
    )
