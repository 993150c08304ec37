"""The run backlog: how much work waits, and reading back work left in the database
when the in-memory backlog was full."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.prepared import Prepared, reader
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


_QUEUED = select(func.count(), func.min(col(Run.created_at))).where(col(Run.status) == "queued")
_QUEUED_ON_SQLITE = Prepared(_QUEUED)
_CREATED_AT = reader(Run.__table__.c.created_at)  # type: ignore[attr-defined]


async def measure_backlog(session: AsyncSession) -> Backlog:
    """Count queued runs (a range of `ix_run_status_lease_until`, as long as the backlog)."""
    count, oldest = (await session.exec(_QUEUED)).one()
    return Backlog(queued_runs=int(count or 0), oldest_queued_at=oldest)


def measure_backlog_on_sqlite(connection: sqlite3.Connection) -> Backlog:
    """The same count as a unit on the SQLite writer thread (no second writer to wait for)."""
    count, oldest = _QUEUED_ON_SQLITE.execute(connection).fetchone()
    return Backlog(
        queued_runs=int(count or 0),
        oldest_queued_at=None if oldest is None else _CREATED_AT(oldest),
    )


async def unfinished_run_ids(session: AsyncSession, *, from_id: int, limit: int) -> list[int]:
    """Ids of queued or running runs from `from_id` up, oldest first (keyset on the key)."""
    query = (
        select(col(Run.id))
        .where(col(Run.id) >= from_id, col(Run.status).in_(("queued", "running")))
        .order_by(col(Run.id))
        .limit(limit)
    )
    return [run_id for run_id in (await session.exec(query)).all() if run_id is not None]
