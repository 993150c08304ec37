"""Backpressure at the webhook edge, and the backlog figures operators read at `/backlog`.

`BacklogGauge` keeps the last measured backlog (queued runs, the oldest one's age) and
refreshes it in the background at most once a `refresh_seconds`, so the hook route
never waits for the count. With `INBOUND_MAX_BACKLOG` set, the hook route answers
503 + Retry-After while more runs than that wait; off by default, because the events
are safe in the database either way and many senders stop retrying, or disable a URL,
after a few refusals, which surprises people more than a delay does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from litestar import Response
from litestar.datastructures import State

from app.store.backlog import Backlog, measure_backlog, measure_backlog_on_sqlite
from app.store.db import SessionFactory, transaction
from app.store.sqlite_writer import SqliteWriter
from app.store.tables import utcnow

log = logging.getLogger("hookline.hooks")
RETRY_AFTER_SECONDS = 30
BUSY = (
    "Hookline is still working through earlier events, so it is not taking new ones "
    f"right now. Please send this again in {RETRY_AFTER_SECONDS} seconds."
)


class BacklogGauge:
    """The process's latest view of the backlog, refreshed off the request path."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        sqlite_writer: SqliteWriter | None = None,
        refresh_seconds: float = 1.0,
    ) -> None:
        self.sessions = sessions
        # On SQLite every session begins IMMEDIATE: counting through one would fight the
        # writer thread for the lock, so the count runs on that thread instead.
        self.sqlite_writer = sqlite_writer
        self.refresh_seconds = refresh_seconds
        self.latest = Backlog(queued_runs=0, oldest_queued_at=None)
        self._measured_at = float("-inf")
        self._refreshing: asyncio.Task[None] | None = None

    async def measure(self) -> Backlog:
        """Count now (for `/backlog`), and keep the figure for the hook route."""
        if self.sqlite_writer is not None:
            self.latest = await self.sqlite_writer.run(measure_backlog_on_sqlite)
        else:
            async with transaction(self.sessions) as session:
                self.latest = await measure_backlog(session)
        self._measured_at = time.monotonic()
        return self.latest

    def queued_runs(self) -> int:
        """The last count; starts a refresh in the background when it is stale."""
        stale = time.monotonic() - self._measured_at >= self.refresh_seconds
        if stale and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh())
        return self.latest.queued_runs

    async def _refresh(self) -> None:
        try:
            await self.measure()
        except Exception:  # the database may be down: keep the last figure, try again later
            self._measured_at = time.monotonic()
            log.warning("could not measure the backlog", exc_info=True)


def backlog_gauge(state: State) -> BacklogGauge:
    """The app's one gauge, made on first use."""
    gauge: BacklogGauge | None = state.get("backlog_gauge")
    if gauge is None:
        writer = state.committer.sqlite_writer
        gauge = state.backlog_gauge = BacklogGauge(state.sessions, sqlite_writer=writer)
    return gauge


def refuse_when_backlogged(state: State, max_backlog: int) -> Response[Any] | None:
    """503 + Retry-After while more than `max_backlog` runs wait (0 = never)."""
    if max_backlog <= 0 or backlog_gauge(state).queued_runs() <= max_backlog:
        return None
    return Response(
        content={"error": BUSY},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def backlog_report(backlog: Backlog, max_backlog: int) -> dict[str, Any]:
    """What `/backlog` answers: counts and ages only, nothing about anyone's data."""
    return {
        "queued_runs": backlog.queued_runs,
        "oldest_queued_seconds": round(backlog.lag_seconds(utcnow()), 3),
        "max_backlog": max_backlog or None,
        "refusing_new_events": 0 < max_backlog < backlog.queued_runs,
    }
