"""The per-hook rate limit: a fixed one-minute window counted in the database.

One row per (workflow, minute) is bumped with an upsert in the request's own
transaction, so the limit holds across any number of web processes without a
shared cache. The first request of a new minute clears the workflow's older rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import SQLModel, col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.events import dialect_insert
from app.store.tables import HookRateWindow

WINDOW_TABLE = SQLModel.metadata.tables["hook_rate_window"]


async def count_hook_request(
    session: AsyncSession, *, workflow_id: int, now: datetime, limit_per_minute: int
) -> int | None:
    """Count one request; the seconds to wait when it is over the limit, else None.

    A limit of 0 turns the limit off (nothing is counted).
    """
    if limit_per_minute <= 0:
        return None
    seconds = int(now.timestamp())
    minute = seconds // 60
    upsert = (
        dialect_insert(session)(HookRateWindow)
        .values(workflow_id=workflow_id, minute=minute, requests=1)
        .on_conflict_do_update(
            index_elements=["workflow_id", "minute"],
            set_={"requests": WINDOW_TABLE.c.requests + 1},
        )
        .returning(WINDOW_TABLE.c.requests)
    )
    count = int((await session.exec(upsert)).scalar_one())
    if count == 1:
        await session.exec(
            delete(HookRateWindow).where(
                col(HookRateWindow.workflow_id) == workflow_id, col(HookRateWindow.minute) < minute
            )
        )
    if count > limit_per_minute:
        return 60 - seconds % 60
    return None
