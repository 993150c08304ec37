"""Running one job of the clock over and over, until told to stop, without dying of errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("hookline.clock")


async def repeat_until(
    stop: asyncio.Event, job: Callable[[], Awaitable[object]], *, interval: float, what: str
) -> None:
    """Run `job` every `interval` seconds until `stop` is set (never cancelled mid-job)."""
    while not stop.is_set():
        try:
            await job()
        except Exception:  # the database or mail server may be down; try again next round
            log.warning("%s failed; retrying in %.0fs", what, interval, exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
