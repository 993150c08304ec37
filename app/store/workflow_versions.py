"""Edits that name the version they were made from: a save of an outdated version is refused.

Each saved edit moves `workflow.version` on by one (`update_workflow`). A save claims the
version it was made from with a conditional UPDATE, so of two saves made from the same
version exactly one wins, even when they arrive at the same moment (the second waits for
the first's row lock, then finds the version taken).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.schedule_state import rows_changed
from app.store.tables import Workflow


async def claim_workflow_version(
    session: AsyncSession, *, workflow: Workflow, seen_version: int
) -> bool:
    """True when the workflow is still at `seen_version` (now taken by this save)."""
    claim = (
        sa.update(Workflow)
        .where(col(Workflow.id) == workflow.id, col(Workflow.version) == seen_version)
        .values(version=seen_version + 1)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(await session.exec(claim)) != 1:
        return False
    workflow.version = seen_version  # update_workflow moves it on to the claimed number
    return True
