"""One SQLite writer for `hookline serve`: the worker child's units run on the web's writer.

The web process and its worker child each had a writer thread, and both took turns on
SQLite's one write lock: under load each waited ~2.6 ms (p99 ~21 ms) per transaction for
the other's, with a third of the machine idle (bench/README.md, fifth pass). So the child
sends its hot units (step claims and records) over a socket pair to the web process,
whose writer runs them in the same transactions as inbound events: no lock hand-over,
one COMMIT for both.

A unit crosses as a pickle (a `functools.partial` of a module-level function with plain
arguments), so the two processes must run the same code; they do (the parent starts the
child from its own interpreter). Frames are a 4-byte length and a pickle:

    child → parent   (request id, unit, wait_at_most)
    parent → child   (request id, True, result) or (request id, False, exception)

Nothing depends on the link for safety: a unit either committed or did not, as with a
local writer. If the link breaks (the parent is gone), a unit already sent fails with
`LinkBroken` (whether it committed is unknown, so the step's usual rules for a worker
that stopped mid-way apply), and later units run on the child's own writer, so steps
still finishing in the child's stop grace are recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import pickle
import socket
import struct
from collections.abc import Callable
from typing import Any, TypeVar

from app.store.sqlite_writer import SqliteWriter, UnitRunner

T = TypeVar("T")
log = logging.getLogger("hookline.writer_link")
_LENGTH = struct.Struct("!I")
WRITER_FD_VARIABLE = "HOOKLINE_WRITER_FD"  # the child's end of the socket pair


class LinkBroken(ConnectionError):
    """The web process's writer can no longer be reached."""


def _frame(message: Any) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


async def _read_frame(reader: asyncio.StreamReader) -> Any:
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))  # noqa: S301 - our own child


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a RuntimeError saying what it was."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own value
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


async def serve_units(sock: socket.socket, writer: SqliteWriter) -> None:
    """Parent side: run every unit the child sends on `writer`, answer each when committed."""
    reader, stream = await asyncio.open_connection(sock=sock)
    running: set[asyncio.Task[None]] = set()

    async def run_one(request_id: int, unit: Callable[..., Any], wait: float | None) -> None:
        try:
            answer = (request_id, True, await writer.run(unit, wait_at_most=wait))
        except Exception as exc:
            answer = (request_id, False, _portable(exc))
        try:
            frame = _frame(answer)
        except Exception as exc:  # a result that cannot be pickled: the child must still hear
            frame = _frame((request_id, False, RuntimeError(f"unsendable result: {exc}")))
        stream.write(frame)

    try:
        while True:
            request_id, unit, wait = await _read_frame(reader)
            task = asyncio.create_task(run_one(request_id, unit, wait))
            running.add(task)
            task.add_done_callback(running.discard)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the child is gone: what it sent and we committed stays committed
    finally:
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        stream.close()


class RemoteWriter:
    """Child side: `run(unit)` like `SqliteWriter.run`, executed by the parent's writer
    (or by `fallback`, the child's own writer, once the link is broken)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        stream: asyncio.StreamWriter,
        fallback: UnitRunner | None = None,
    ) -> None:
        self._reader = reader
        self._stream = stream
        self._fallback = fallback
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._broken: LinkBroken | None = None
        self._answers = asyncio.create_task(self._read_answers())

    @classmethod
    async def over(cls, sock: socket.socket, fallback: UnitRunner | None = None) -> RemoteWriter:
        """The writer at the other end of `sock` (the child's end of the socket pair)."""
        reader, stream = await asyncio.open_connection(sock=sock)
        return cls(reader, stream, fallback)

    async def run(self, unit: Callable[..., T], *, wait_at_most: float | None = None) -> T:
        if self._broken is None:
            request_id = next(self._ids)
            frame = _frame((request_id, unit, wait_at_most))  # raises if it cannot cross
            try:
                self._stream.write(frame)
            except (RuntimeError, ConnectionError):  # the transport is closed: not sent
                self._break()
            else:
                future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
                self._waiting[request_id] = future
                return await future
        if self._fallback is None:
            raise self._broken or LinkBroken("the web process's database writer is gone")
        return await self._fallback.run(unit, wait_at_most=wait_at_most)

    async def _read_answers(self) -> None:
        try:
            while True:
                request_id, ok, value = await _read_frame(self._reader)
                future = self._waiting.pop(request_id, None)
                if future is None or future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        self._break()

    def _break(self) -> None:
        """The parent is gone: units in flight fail, later ones go to the fallback."""
        if self._broken is None:
            self._broken = LinkBroken("the web process's database writer is gone")
            log.warning("lost the link to the web process's database writer")
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(self._broken)
        self._waiting.clear()

    async def close(self) -> None:
        self._stream.close()
        self._answers.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._answers
