"""A workflow's run settings that live beside its steps: how many tries a step gets."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import Workflow, utcnow


async def set_retry_max_tries(
    session: AsyncSession, *, workflow: Workflow, tries: int | None
) -> None:
    """Tries per step for temporary failures; None means the operator's RETRY_MAX_TRIES."""
    workflow.retry_max_tries = tries
    workflow.updated_at = utcnow()
    session.add(workflow)
