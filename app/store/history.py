"""Reading run history for pages and the API: keyset-paginated, always owner-scoped."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import Event, Run, StepAttempt, Workflow


async def list_workflow_runs(
    session: AsyncSession, *, workflow_id: int, before_id: int | None = None, limit: int = 50
) -> list[Run]:
    """Newest first; pass the last id seen as `before_id` for the next page."""
    query = select(Run).where(Run.workflow_id == workflow_id)
    if before_id is not None:
        query = query.where(col(Run.id) < before_id)
    query = query.order_by(col(Run.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def get_user_run(session: AsyncSession, *, user_id: int, run_id: int) -> Run | None:
    query = (
        select(Run)
        .join(Workflow, col(Workflow.id) == col(Run.workflow_id))
        .where(Run.id == run_id, Workflow.user_id == user_id)
    )
    return (await session.exec(query)).first()


async def get_user_event(session: AsyncSession, *, user_id: int, event_id: int) -> Event | None:
    query = (
        select(Event)
        .join(Workflow, col(Workflow.id) == col(Event.workflow_id))
        .where(Event.id == event_id, Workflow.user_id == user_id)
    )
    return (await session.exec(query)).first()


async def list_run_attempts(session: AsyncSession, *, run_id: int) -> list[StepAttempt]:
    query = (
        select(StepAttempt)
        .where(StepAttempt.run_id == run_id)
        .order_by(col(StepAttempt.step_index), col(StepAttempt.attempt))
    )
    return list((await session.exec(query)).all())
