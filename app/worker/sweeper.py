"""The sweeper: re-enqueues unfinished runs whose lease ran out, and moves bulk replays on.

The broker may lose a message (an in-process queue dies with its process, a Redis
restart drops its list); the database never does. Nudging a run twice is harmless,
because a step is claimed by a unique row before it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from app.store.bulk_replays import advance_open_bulk_replays
from app.store.db import SessionFactory, transaction
from app.store.runs import extend_lease, runs_needing_a_nudge
from app.store.tables import utcnow
from app.worker.broker import Dispatcher

log = logging.getLogger("hookline.sweeper")


async def sweep_once(
    sessions: SessionFactory, dispatcher: Dispatcher, *, lease: timedelta, limit: int = 500
) -> int:
    """Nudge every stale run once; returns how many were re-enqueued."""
    now = utcnow()
    async with transaction(sessions) as session:
        run_ids = await runs_needing_a_nudge(session, now=now, limit=limit)
        await extend_lease(session, run_ids=run_ids, until=now + lease)
        run_ids += await advance_open_bulk_replays(session, lease=lease)
    sent = sum(dispatcher.try_run_step(run_id) for run_id in run_ids)
    if run_ids:
        log.info("sweeper re-enqueued %d run(s)", sent)
    return sent


async def sweep_until(
    stop: asyncio.Event,
    sessions: SessionFactory,
    dispatcher: Dispatcher,
    *,
    lease: timedelta,
    interval: float,
) -> None:
    """Sweep every `interval` seconds until `stop` is set (never cancelled mid-transaction)."""
    while not stop.is_set():
        try:
            await sweep_once(sessions, dispatcher, lease=lease)
        except Exception:  # the database may be down; keep trying
            log.warning("sweep failed; retrying in %.0fs", interval, exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
