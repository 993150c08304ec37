"""Reading back work that was left in the database when the in-memory backlog was full."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import Run


async def unfinished_run_ids(session: AsyncSession, *, from_id: int, limit: int) -> list[int]:
    """Ids of queued or running runs from `from_id` up, oldest first (keyset on the key)."""
    query = (
        select(col(Run.id))
        .where(col(Run.id) >= from_id, col(Run.status).in_(("queued", "running")))
        .order_by(col(Run.id))
        .limit(limit)
    )
    return [run_id for run_id in (await session.exec(query)).all() if run_id is not None]
