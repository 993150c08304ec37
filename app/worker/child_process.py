"""The step worker's child process of `hookline serve` (`EMBEDDED_WORKER=process`).

`hookline serve` starts `python -m app.worker.child_process` with its own environment
(so the same settings) and writes run ids to the child's stdin, one line each:

    <run_id>              run it now
    <run_id> <delay_ms>   run it once the delay has passed
    from <run_id>         the parent dropped ids from here up (pipe full): read them back

The child runs them with a `LoopWorker` on its own event loop and engine, so steps use
the machine's second core; on SQLite its step claims and records run on the parent's
writer thread, sent over a socket pair (`app/store/writer_link.py`), so the two
processes' hot writes never wait for each other's transactions. It also owns the
clock loops of the embedded default (sweeper, pruning, schedules, alerts): exactly one
of each, next to the worker they feed. Every run is in the database before its id is
written, so the child starts by reading unfinished runs back, and a lost line costs
only time (the sweeper re-enqueues lapsed leases).

It stops, letting running steps finish for a grace period, on stdin EOF (the parent
closed the pipe or died, even by kill -9), when its parent process changes, or on
SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from datetime import timedelta

from app.logs import configure_logging
from app.settings import Settings
from app.store.db import SessionFactory, create_engine, create_session_factory
from app.store.group_commit import GroupCommitter
from app.store.writer_link import WRITER_FD_VARIABLE, RemoteWriter
from app.worker.alerts import alert_until
from app.worker.broker import Dispatcher, build_broker
from app.worker.clock import prune_until
from app.worker.embedded import LoopWorker, start_loop_worker
from app.worker.schedules import schedule_until
from app.worker.sweeper import sweep_until

log = logging.getLogger("hookline.worker_process")
GRACE_SECONDS = 10.0  # running steps may finish for this long after the stop signal
PARENT_CHECK_SECONDS = 1.0


def encode_run(run_id: int, delay_ms: int | None) -> bytes:
    """One line of the stdin protocol for a run to start (now or after `delay_ms`)."""
    return f"{run_id} {delay_ms}\n".encode() if delay_ms else f"{run_id}\n".encode()


def encode_read_back(from_id: int) -> bytes:
    return f"from {from_id}\n".encode()


class _Feed(asyncio.Protocol):
    """Parses stdin lines into the loop worker; EOF means the parent is gone."""

    def __init__(self, worker: LoopWorker, stop: asyncio.Event) -> None:
        self.worker = worker
        self.stop = stop
        self._partial = b""

    def data_received(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            self._take(line.split())

    def _take(self, words: list[bytes]) -> None:
        try:
            if len(words) == 2 and words[0] == b"from":
                self.worker.read_back(int(words[1]))
            elif len(words) in (1, 2):
                delay = int(words[1]) if len(words) == 2 else None
                self.worker.submit(int(words[0]), delay)
        except ValueError:  # not ours; the run (if any) is in the database anyway
            log.warning("ignoring a malformed line from the parent: %r", b" ".join(words))

    def eof_received(self) -> bool:
        self.stop.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop.set()


async def _watch_parent(stop: asyncio.Event, parent: int) -> None:
    """Belt and braces next to stdin EOF: stop once the parent process is gone."""
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("the parent process %d is gone; stopping", parent)
            stop.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=PARENT_CHECK_SECONDS)


def _clock(
    stop: asyncio.Event,
    sessions: SessionFactory,
    settings: Settings,
    dispatcher: Dispatcher,
    lease: timedelta,
) -> asyncio.Future[tuple[None, None, None, None]]:
    """The embedded default's periodic work: exactly one of each loop, in this process."""
    interval = settings.broker.sweep_interval_seconds
    return asyncio.gather(
        sweep_until(stop, sessions, dispatcher, lease=lease, interval=interval),
        prune_until(stop, sessions, settings),
        schedule_until(stop, sessions, dispatcher, settings),
        alert_until(stop, sessions, settings),
    )


async def serve_steps(settings: Settings, *, parent: int) -> None:
    """Run steps and the clock loops until stdin closes, the parent dies or a signal."""
    engine = create_engine(settings.database)
    sessions = create_session_factory(engine)
    committer = GroupCommitter(sessions, writers=1 if settings.database.is_sqlite else 4)
    broker = build_broker(settings.broker)
    dispatcher = Dispatcher(broker, settings.broker.queue_name)
    runtime, worker = start_loop_worker(settings, dispatcher, sessions, committer)
    link = None
    fd = os.environ.get(WRITER_FD_VARIABLE)
    if fd is not None and runtime.sqlite_writer is not None:
        own = runtime.sqlite_writer  # used once the parent is gone (its stop grace)
        link = await RemoteWriter.over(socket.socket(fileno=int(fd)), fallback=own)
        runtime.sqlite_writer = link
    worker.read_back(0)  # whatever was stored while no worker ran
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    transport, _ = await loop.connect_read_pipe(lambda: _Feed(worker, stop), sys.stdin)
    clock = asyncio.gather(
        _watch_parent(stop, parent),
        _clock(stop, sessions, settings, dispatcher, runtime.lease),
    )
    log.info("worker process %d started", os.getpid())
    try:
        await stop.wait()
    finally:
        transport.close()
        await clock
        await worker.stop(GRACE_SECONDS)
        if link is not None:
            await link.close()
        with contextlib.suppress(Exception):
            await runtime.close()
        await committer.close()
        await engine.dispose()
        broker.close()
        log.info("worker process %d stopped", os.getpid())


def _use_the_web_loop_kind() -> None:
    """uvloop when installed, the same loop kind uvicorn picks for the web process."""
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main() -> None:
    settings = Settings()  # the parent's environment: the same settings as the parent's
    configure_logging(level=settings.app.log_level, log_format=settings.app.effective_log_format)
    _use_the_web_loop_kind()
    asyncio.run(serve_steps(settings, parent=os.getppid()))


if __name__ == "__main__":
    main()
