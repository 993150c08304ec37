"""The clock's schedule round: start a run for every scheduled workflow that is due.

Each tick is claimed and recorded (event + run) in one transaction, then its run is
enqueued, or left to the sweeper when the broker is down. Several clocks may run
this at once; the claim lets exactly one of them fire each tick.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from app.settings import Settings
from app.store.db import SessionFactory, transaction
from app.store.schedules import due_ticks, fire_tick
from app.store.tables import utcnow
from app.worker.broker import Dispatcher
from app.worker.periodic import repeat_until

log = logging.getLogger("hookline.schedules")


async def fire_due_schedules(
    sessions: SessionFactory,
    dispatcher: Dispatcher,
    *,
    now: datetime,
    lease: timedelta,
    limit: int = 100,
) -> int:
    """Fire every tick due at `now` (a tick missed during downtime fires once); returns
    how many this clock fired."""
    async with transaction(sessions) as session:
        due = await due_ticks(session, now=now, limit=limit)
    fired = 0
    for workflow_id, due_at in due:
        try:
            async with transaction(sessions) as session:
                tick = await fire_tick(
                    session, workflow_id=workflow_id, due_at=due_at, now=now, lease=lease
                )
        except Exception:  # one broken workflow must not stop the others' schedules
            log.exception("could not start a scheduled run", extra={"workflow_id": workflow_id})
            continue
        if tick is None:
            continue
        fired += 1
        log.info("scheduled run started", extra={"workflow_id": workflow_id, "run_id": tick.run_id})
        if tick.run_id is not None:
            dispatcher.try_run_step(tick.run_id)
    return fired


async def schedule_until(
    stop: asyncio.Event, sessions: SessionFactory, dispatcher: Dispatcher, settings: Settings
) -> None:
    """Fire due ticks every SCHEDULE_CHECK_INTERVAL_SECONDS until `stop` is set."""
    lease = timedelta(seconds=settings.broker.lease_seconds)

    async def round_() -> None:
        await fire_due_schedules(sessions, dispatcher, now=utcnow(), lease=lease)

    await repeat_until(
        stop, round_, interval=settings.schedules.check_interval_seconds, what="schedules"
    )
