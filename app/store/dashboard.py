"""The dashboard's read model: every workflow of a user with its last run, recent activity
and held events, fetched in a fixed number of queries however many workflows there are.

Each query covers all of the user's workflows at once (a correlated lookup on the
(workflow_id, id) indexes, or one GROUP BY workflow_id); none loops per workflow. Runs
are counted only inside the recent window, never over their whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import aliased
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.store.tables import Event, Run, Workflow

RECENT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class WorkflowSummary:
    """One dashboard row: the workflow and the facts shown next to its name."""

    workflow: Workflow
    last_run: Run | None
    runs_last_24h: int
    held_events: int
    has_events: bool


def _user_workflow_ids(user_id: int) -> SelectOfScalar[int | None]:
    return select(col(Workflow.id)).where(Workflow.user_id == user_id)


async def list_workflows_with_latest_ids(
    session: AsyncSession, *, user_id: int
) -> list[tuple[Workflow, int | None, int | None]]:
    """The user's workflows, newest first, each with its newest run id and newest event id."""
    newest_run = aliased(Run)
    newest_event = aliased(Event)
    latest_run_id = (
        select(func.max(newest_run.id))
        .where(newest_run.workflow_id == Workflow.id)
        .correlate(Workflow)
        .scalar_subquery()
    )
    latest_event_id = (
        select(func.max(newest_event.id))
        .where(newest_event.workflow_id == Workflow.id)
        .correlate(Workflow)
        .scalar_subquery()
    )
    query = (
        select(Workflow, latest_run_id, latest_event_id)
        .where(Workflow.user_id == user_id)
        .order_by(col(Workflow.id).desc())
    )
    return [(row[0], row[1], row[2]) for row in (await session.exec(query)).all()]


async def get_runs_by_id(session: AsyncSession, *, run_ids: list[int]) -> dict[int, Run]:
    if not run_ids:
        return {}
    runs = (await session.exec(select(Run).where(col(Run.id).in_(run_ids)))).all()
    return {run.id: run for run in runs if run.id is not None}


async def count_recent_runs_by_workflow(
    session: AsyncSession, *, user_id: int, since: datetime
) -> dict[int, int]:
    """Runs created at or after `since`, per workflow of the user (workflows with none omitted)."""
    query = (
        select(Run.workflow_id, func.count())
        .where(col(Run.workflow_id).in_(_user_workflow_ids(user_id)))
        .where(col(Run.created_at) >= since)
        .group_by(col(Run.workflow_id))
    )
    return {workflow_id: count for workflow_id, count in (await session.exec(query)).all()}


async def count_held_events_by_workflow(session: AsyncSession, *, user_id: int) -> dict[int, int]:
    """Events kept while the workflow was off and never run since, per workflow of the user."""
    has_run = select(Run.id).where(Run.event_id == Event.id).correlate(Event).exists()
    query = (
        select(Event.workflow_id, func.count())
        .where(col(Event.workflow_id).in_(_user_workflow_ids(user_id)))
        .where(Event.outcome == "held")
        .where(~has_run)
        .group_by(col(Event.workflow_id))
    )
    return {workflow_id: count for workflow_id, count in (await session.exec(query)).all()}


async def summarize_user_workflows(
    session: AsyncSession, *, user_id: int, now: datetime
) -> list[WorkflowSummary]:
    """Every workflow of the user with its dashboard facts, in four queries in all."""
    rows = await list_workflows_with_latest_ids(session, user_id=user_id)
    runs = await get_runs_by_id(session, run_ids=[run_id for _, run_id, _ in rows if run_id])
    recent = await count_recent_runs_by_workflow(
        session, user_id=user_id, since=now - RECENT_WINDOW
    )
    held = await count_held_events_by_workflow(session, user_id=user_id)
    return [
        WorkflowSummary(
            workflow=workflow,
            last_run=runs.get(run_id) if run_id else None,
            runs_last_24h=recent.get(workflow.id or 0, 0),
            held_events=held.get(workflow.id or 0, 0),
            has_events=event_id is not None,
        )
        for workflow, run_id, event_id in rows
    ]
