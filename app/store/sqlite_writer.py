"""The SQLite writer thread: group commit on a plain `sqlite3` connection, off the event loop.

SQLAlchemy's async SQLite path costs 230-550 µs of event-loop time per statement (thread
hops, greenlets, compilation); the same statement on a plain `sqlite3` connection costs a
few µs (issue 7, bench/README.md). So the hot writers (the webhook edge, the embedded
worker's claims and records) hand a synchronous *unit* — `unit(connection) -> result` —
to `SqliteWriter.run`. One dedicated thread takes every unit queued meanwhile as a batch:

    BEGIN IMMEDIATE; (SAVEPOINT; unit; RELEASE)…; COMMIT

and only then resolves each caller's future, so a caller that answers 2xx after
`await writer.run(...)` keeps principle 1 (acknowledged = committed and fsynced: WAL with
`synchronous=FULL`, see bench/README.md). A unit that raises is rolled back to its
savepoint alone and its caller gets the exception; a failed BEGIN or COMMIT fails every
caller of the batch (the edge answers 503). A unit must only touch the database: the
batch waits for it.

Code that still writes through SQLAlchemy's async engine in the same process takes
`exclusive()` first: the thread then pauses between batches until that block ends, so the
two never fight for SQLite's write lock (whose busy handler sleeps up to 100 ms a try).
A writer in another process (the worker child's SQLAlchemy writes: sweeper, clock loops,
the full step path; its hot units come here over `writer_link.py`) is waited for by
`begin_immediate`, which retries BEGIN every 0.2-1 ms instead. A caller that must not
wait long (the webhook edge: senders time out after ~10 s, then retry) passes
`wait_at_most`: if the lock is still taken by then, its unit fails unrun.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
log = logging.getLogger("hookline.sqlite_writer")

Unit = Callable[[sqlite3.Connection], Any]
BUSY_TIMEOUT = 30.0  # seconds a statement waits for another connection's write lock
FIRST_PAUSE, LAST_PAUSE = 0.0002, 0.001  # BEGIN's retry back-off (see begin_immediate)


class UnitRunner(Protocol):
    """Runs units in shared transactions: `SqliteWriter`, or the link to another process's."""

    async def run(
        self, unit: Callable[[sqlite3.Connection], T], *, wait_at_most: float | None = None
    ) -> T: ...


@dataclass
class _Job:
    """One caller's unit and where its outcome goes."""

    unit: Unit
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    give_up_at: float | None = None  # time.monotonic(): fail, unrun, if the lock is not ours
    result: Any = None
    error: BaseException | None = None


@dataclass
class _Pause:
    """A request to keep the write lock free until `released` is set (see `exclusive`)."""

    granted: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    released: threading.Event = field(default_factory=threading.Event)


def connect(path: str) -> sqlite3.Connection:
    """A connection with the same durability settings as the SQLAlchemy engine's (db.py)."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")  # NORMAL could lose acknowledged commits
    connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


class SqliteWriter:
    """Runs queued units in shared transactions on one thread with its own connection."""

    def __init__(self, path: str, *, max_batch: int = 256) -> None:
        self.path = path
        self._max_batch = max_batch
        self._queue: collections.deque[_Job | _Pause] = collections.deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # committed transactions (observability, tests)
        self.units = 0  # units committed in them

    async def run(
        self, unit: Callable[[sqlite3.Connection], T], *, wait_at_most: float | None = None
    ) -> T:
        """`unit(connection)` inside the next shared transaction; its result once committed.

        With `wait_at_most` (seconds), a unit that could not start within that time because
        another process holds the write lock raises `LockWaitExceeded` and never runs.
        """
        loop = asyncio.get_running_loop()
        give_up_at = None if wait_at_most is None else time.monotonic() + wait_at_most
        job = _Job(unit=unit, future=loop.create_future(), loop=loop, give_up_at=give_up_at)
        self._submit(job)
        result: T = await job.future
        return result

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the thread between batches while the block writes through another connection."""
        loop = asyncio.get_running_loop()
        pause = _Pause(granted=loop.create_future(), loop=loop)
        self._submit(pause)
        try:
            await pause.granted
            yield
        finally:
            pause.released.set()  # also when cancelled before the grant: the thread goes on

    async def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None
            log.info("sqlite writer: %d units in %d transactions", self.units, self.batches)

    def _submit(self, item: _Job | _Pause) -> None:
        with self._ready:
            if self._closed:
                raise RuntimeError("the SQLite writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="hookline-sqlite-writer", daemon=True
                )
                self._thread.start()
            self._queue.append(item)
            self._ready.notify()

    def _next_batch(self) -> list[_Job] | _Pause | None:
        with self._ready:
            self._ready.wait_for(lambda: bool(self._queue) or self._closed)
            if not self._queue:
                return None
            if isinstance(self._queue[0], _Pause):
                return self._queue.popleft()  # type: ignore[return-value]
            batch: list[_Job] = []
            while self._queue and len(batch) < self._max_batch:
                if isinstance(self._queue[0], _Pause):
                    break
                batch.append(self._queue.popleft())  # type: ignore[arg-type]
            return batch

    def _work(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while (batch := self._next_batch()) is not None:
                if isinstance(batch, _Pause):
                    if _resolve(batch.loop, batch.granted):
                        batch.released.wait()
                    continue
                try:
                    connection = connection or connect(self.path)
                except sqlite3.Error as exc:  # e.g. the directory is gone: fail and retry later
                    _deliver([(job, exc) for job in batch])
                    continue
                if not self._commit(connection, batch):
                    connection.close()  # start the next batch on a fresh connection
                    connection = None
        finally:
            if connection is not None:
                connection.close()

    def _commit(self, connection: sqlite3.Connection, batch: list[_Job]) -> bool:
        waits = [job.give_up_at for job in batch if job.give_up_at is not None]
        give_up_at = min(waits, default=None)
        try:
            begin_immediate(connection, give_up_at=give_up_at)
            for job in batch:
                _run_in_savepoint(connection, job)
            connection.execute("COMMIT")
        except LockWaitExceeded as exc:  # raised by BEGIN only: nothing was begun or run
            self._give_up_on_expired(batch, exc)
            return True
        except Exception as exc:  # BEGIN, a savepoint or COMMIT failed: nothing is stored
            log.warning("SQLite group commit of %d unit(s) failed", len(batch), exc_info=True)
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            _deliver([(job, exc) for job in batch])
            return False
        self.batches += 1
        self.units += sum(1 for job in batch if job.error is None)
        _deliver([(job, job.error) for job in batch])
        return True

    def _give_up_on_expired(self, batch: list[_Job], exc: LockWaitExceeded) -> None:
        """Fail the units whose wait ran out (unrun); the others go back to the queue front."""
        now = time.monotonic()
        expired: list[_Job] = []
        waiting: list[_Job] = []
        for job in batch:
            gave_up = job.give_up_at is not None and job.give_up_at <= now
            (expired if gave_up else waiting).append(job)
        with self._ready:
            self._queue.extendleft(reversed(waiting))
        log.warning("SQLite is write-locked by another process; %d unit(s) gave up", len(expired))
        _deliver([(job, exc) for job in expired])


class LockWaitExceeded(TimeoutError):
    """Another process held SQLite's write lock longer than the unit was willing to wait."""


def begin_immediate(
    connection: sqlite3.Connection,
    timeout: float = BUSY_TIMEOUT,
    *,
    give_up_at: float | None = None,
) -> None:
    """BEGIN IMMEDIATE, retried every 0.2-1 ms while another process holds the write lock.

    SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries: against a
    writer in another process that commits every few ms (`hookline serve`'s web and its
    worker child share the file) it almost never finds the lock free. Polling briefly
    costs a lock attempt per try on this dedicated thread, not the event loop.
    """
    deadline = time.monotonic() + timeout
    pause = FIRST_PAUSE
    connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if (
                    exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY
                    or time.monotonic() > deadline
                ):
                    raise
                if give_up_at is not None and time.monotonic() > give_up_at:
                    raise LockWaitExceeded("SQLite is write-locked by another process") from exc
            time.sleep(pause)
            pause = min(pause * 2, LAST_PAUSE)
    finally:
        connection.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")


def _run_in_savepoint(connection: sqlite3.Connection, job: _Job) -> None:
    connection.execute("SAVEPOINT unit")
    try:
        job.result = job.unit(connection)
    except Exception as exc:  # this caller's failure only: undo its statements, keep the batch
        job.error = exc
        connection.execute("ROLLBACK TO unit")
    connection.execute("RELEASE unit")


def _deliver(outcomes: list[tuple[_Job, BaseException | None]]) -> None:
    """Resolve the callers' futures on their loops (one hop per loop, not per caller)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, BaseException | None]]] = {}
    for job, error in outcomes:
        by_loop.setdefault(job.loop, []).append((job, error))
    for loop, jobs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, jobs)


def _settle(jobs: list[tuple[_Job, BaseException | None]]) -> None:
    for job, error in jobs:
        _set(job.future, job.result, error)


def _resolve(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> bool:
    """Grant a pause; False when its loop is closed (nobody will release it)."""
    try:
        loop.call_soon_threadsafe(_set, future, None, None)
    except RuntimeError:
        return False
    return True


def _set(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller gave up (cancelled); its unit may still have committed
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
