"""The run backlog: how much work waits, and reading back work left in the database
when the in-memory backlog was full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import Run


@dataclass(frozen=True)
class Backlog:
    """Runs no worker has picked up yet, and when the oldest of them was created."""

    queued_runs: int
    oldest_queued_at: datetime | None

    def lag_seconds(self, now: datetime) -> float:
        """How long the oldest queued run has waited (0 when nothing waits)."""
        if self.oldest_queued_at is None:
            return 0.0
        return max(0.0, (now - self.oldest_queued_at).total_seconds())


async def measure_backlog(session: AsyncSession) -> Backlog:
    """Count queued runs (a range of `ix_run_status_lease_until`, as long as the backlog)."""
    query = select(func.count(), func.min(col(Run.created_at))).where(col(Run.status) == "queued")
    count, oldest = (await session.exec(query)).one()
    return Backlog(queued_runs=int(count or 0), oldest_queued_at=oldest)


async def unfinished_run_ids(session: AsyncSession, *, from_id: int, limit: int) -> list[int]:
    """Ids of queued or running runs from `from_id` up, oldest first (keyset on the key)."""
    query = (
        select(col(Run.id))
        .where(col(Run.id) >= from_id, col(Run.status).in_(("queued", "running")))
        .order_by(col(Run.id))
        .limit(limit)
    )
    return [run_id for run_id in (await session.exec(query)).all() if run_id is not None]
