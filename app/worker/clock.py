"""The clock process: periodic work that must happen exactly somewhere, not per request.

It sweeps stale runs back into the queue, prunes history past the retention age,
starts the runs of scheduled workflows that are due, and e-mails failure alerts.
Several clocks at once are harmless (sweeps and prunes are idempotent; schedule ticks
and alerts are claimed with conditional UPDATEs), just wasteful.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from app.settings import Settings
from app.store.db import SessionFactory, create_engine, create_session_factory, transaction
from app.store.retention import (
    PRUNE_BATCH,
    delete_old_events,
    delete_old_runs,
    old_finished_run_ids,
    unused_old_event_ids,
)
from app.store.tables import utcnow
from app.worker.alerts import alert_until
from app.worker.broker import Dispatcher, build_broker
from app.worker.schedules import schedule_until
from app.worker.sweeper import sweep_until

log = logging.getLogger("hookline.clock")


async def prune_history(sessions: SessionFactory, *, retention_days: float) -> int:
    """Delete history older than the retention age, batch by batch; returns rows removed.

    Each batch picks ids through an index in one short transaction and deletes them in
    another, so ingest waits at most one small batch for SQLite's write lock.
    """
    if retention_days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=retention_days)
    removed = 0
    for pick, remove in (
        (old_finished_run_ids, delete_old_runs),
        (unused_old_event_ids, delete_old_events),
    ):
        while True:
            async with transaction(sessions) as session:
                ids = await pick(session, older_than=cutoff, batch=PRUNE_BATCH)
            if not ids:
                break
            async with transaction(sessions) as session:
                count = await remove(session, ids=ids, older_than=cutoff)
            removed += count
            # A short pick is the last one; nothing deleted means the rest changed meanwhile.
            if len(ids) < PRUNE_BATCH or count == 0:
                break
    if removed:
        log.info("pruned %d old runs/events", removed)
    return removed


async def prune_until(stop: asyncio.Event, sessions: SessionFactory, settings: Settings) -> None:
    while not stop.is_set():
        try:
            await prune_history(sessions, retention_days=settings.history.retention_days)
        except Exception:  # the database may be down; try again next round
            log.warning("pruning failed; will retry", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.history.prune_interval_seconds)


async def run_clock(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    broker = build_broker(settings.broker)
    engine = create_engine(settings.database)
    sessions = create_session_factory(engine)
    dispatcher = Dispatcher(broker, settings.broker.queue_name)
    lease = timedelta(seconds=settings.broker.lease_seconds)
    interval = settings.broker.sweep_interval_seconds
    try:
        await asyncio.gather(
            sweep_until(stop, sessions, dispatcher, lease=lease, interval=interval),
            prune_until(stop, sessions, settings),
            schedule_until(stop, sessions, dispatcher, settings),
            alert_until(stop, sessions, settings),
        )
    finally:
        await engine.dispose()
        broker.close()
