"""Group commit: transactions of concurrent callers, committed together by one writer.

`async with committer.transaction() as session:` looks like an ordinary unit of work,
but the session belongs to a batch: the writer opens one transaction, hands its session
to each queued caller in turn (each inside its own SAVEPOINT), then COMMITs once. The
block's exit returns only after that COMMIT, so a caller that answers 2xx after the
block keeps principle 1 (acknowledged = stored). While one batch commits, new callers
queue up and the next batch takes them all ("natural" batching: no timer, so a lone
request waits for nothing but its own commit, and under load one fsync serves many).
SQLite gets exactly one writer, which also ends the lock contention that made
concurrent BEGIN IMMEDIATEs sleep in SQLite's busy handler.

A block that raises rolls back to its savepoint only: the rest of the batch commits. A
failed BEGIN or COMMIT fails every caller of the batch (the edge answers 503).

Rules for callers: use it from the event loop that created the committer; do database
work only inside the block (no outbound calls: the batch waits for you); a batch-wide
memo may live in `session.info` (one session per batch).

On SQLite the committer also owns the process's `SqliteWriter` (`sqlite_writer`): hot
paths hand it synchronous units, and every async batch here runs inside its
`exclusive()`, so the process still has a single writer.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.db import SessionFactory, transaction
from app.store.sqlite_writer import SqliteWriter

T = TypeVar("T")
log = logging.getLogger("hookline.group_commit")


@dataclass
class _Slot:
    """One caller's place in a batch: its turn, the end of its block, the batch's COMMIT."""

    turn: asyncio.Future[AsyncSession]
    finished: asyncio.Future[BaseException | None]
    committed: asyncio.Future[None]
    ok: bool = field(default=False)


class GroupCommitter:
    """Commits queued callers' blocks in shared transactions, on `writers` connections."""

    def __init__(self, sessions: SessionFactory, *, writers: int = 1, max_batch: int = 256) -> None:
        self._sessions = sessions
        self._writers = writers
        self._max_batch = max_batch
        self._pending: collections.deque[_Slot] = collections.deque()
        self._wakeup: asyncio.Condition | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.batches = 0  # committed transactions (observability, tests)
        self.units = 0  # blocks committed in them
        self.sqlite_writer = _sqlite_writer_for(sessions)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work in the next shared transaction; exits once that has committed."""
        slot = await self._enqueue()
        try:
            session = await slot.turn
        except asyncio.CancelledError:
            if slot.turn.done() and not slot.turn.cancelled():
                slot.finished.set_result(asyncio.CancelledError())  # let the batch go on
            raise
        try:
            yield session
        except BaseException as exc:
            slot.finished.set_result(exc)
            raise
        slot.finished.set_result(None)
        await slot.committed

    async def run(self, unit: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`unit(session)` as one block; its result once the batch has committed."""
        async with self.transaction() as session:
            result = await unit(session)
        return result

    async def _enqueue(self) -> _Slot:
        if self._closed:
            raise RuntimeError("the group committer is closed")
        if not self._tasks:
            self._wakeup = asyncio.Condition()
            self._tasks = [asyncio.create_task(self._write_loop()) for _ in range(self._writers)]
        loop = asyncio.get_running_loop()
        slot = _Slot(loop.create_future(), loop.create_future(), loop.create_future())
        self._pending.append(slot)
        assert self._wakeup is not None
        async with self._wakeup:
            self._wakeup.notify()
        return slot

    async def close(self) -> None:
        """Commit what is queued, then stop the writers (and the SQLite writer thread)."""
        self._closed = True
        if self._tasks and self._wakeup is not None:
            async with self._wakeup:
                self._wakeup.notify_all()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
            log.info("group commit: %d blocks in %d transactions", self.units, self.batches)
        if self.sqlite_writer is not None:
            await self.sqlite_writer.close()

    async def _write_loop(self) -> None:
        assert self._wakeup is not None
        while True:
            async with self._wakeup:
                await self._wakeup.wait_for(lambda: bool(self._pending) or self._closed)
            if not self._pending and self._closed:
                return
            size = min(self._max_batch, len(self._pending))
            batch = [self._pending.popleft() for _ in range(size)]
            if self.sqlite_writer is None:
                await self._commit(batch)
                continue
            async with self.sqlite_writer.exclusive():  # one writer per SQLite file
                await self._commit(batch)

    async def _commit(self, batch: list[_Slot]) -> None:
        try:
            async with transaction(self._sessions) as session:
                await session.connection()  # BEGIN now, before any caller is let in
                for slot in batch:
                    await self._give_turn(session, slot)
        except Exception as exc:  # BEGIN, a SAVEPOINT or COMMIT failed: nothing is stored
            log.warning("group commit of %d block(s) failed", len(batch), exc_info=True)
            for slot in batch:
                _fail(slot, exc)
            return
        self.batches += 1
        for slot in batch:
            if slot.ok:
                self.units += 1
                slot.committed.set_result(None)

    async def _give_turn(self, session: AsyncSession, slot: _Slot) -> None:
        if slot.turn.cancelled():
            return
        savepoint = await session.begin_nested()
        slot.turn.set_result(session)
        failure = await slot.finished
        if failure is None:
            slot.ok = True  # from here on the caller waits for COMMIT, so tell it if that fails
            await savepoint.commit()
        else:
            await savepoint.rollback()


def _sqlite_writer_for(sessions: SessionFactory) -> SqliteWriter | None:
    """The writer thread for a file-backed SQLite engine; None for PostgreSQL."""
    engine = sessions.kw.get("bind")
    url = getattr(engine, "url", None)
    if url is None or url.get_backend_name() != "sqlite" or not url.database:
        return None
    if url.database == ":memory:":
        return None
    return SqliteWriter(url.database)


def _fail(slot: _Slot, error: Exception) -> None:
    """Tell a caller its block was not stored: before its turn, or while awaiting COMMIT."""
    if not slot.turn.done():
        slot.turn.set_exception(error)
    elif slot.ok and not slot.committed.done():
        slot.committed.set_exception(error)
