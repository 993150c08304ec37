"""The parent side of `EMBEDDED_WORKER=process`: start, feed and restart the step worker.

`hookline serve` keeps web and intake on its event loop and hands run ids to a child
process (`app/worker/child_process.py`) through the child's stdin. Handing off never
blocks the web loop: ids go into the pipe's asyncio transport; if the child is down or
its pipe holds more than `max_buffered` bytes, the id is dropped — the run is already in
the database — and the child is told to read runs back from the lowest dropped id (a
restarted child reads every unfinished run back anyway).

The child runs in its own session, so signals meant for `serve` (Ctrl-C, a process
group's SIGTERM) reach the parent only, which stops the child in order: it closes the
pipe, the child lets running steps finish for a grace period and exits, and only after
that grace (plus a margin) is it killed. A child that exits on its own is restarted
after a back-off that doubles up to `MAX_BACKOFF_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import time

from app.store.sqlite_writer import SqliteWriter
from app.store.writer_link import WRITER_FD_VARIABLE, serve_units
from app.worker.broker import called_off
from app.worker.child_process import GRACE_SECONDS, encode_read_back, encode_run

log = logging.getLogger("hookline.supervisor")
CHILD_COMMAND = (sys.executable, "-m", "app.worker.child_process")
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 10.0
HEALTHY_AFTER_SECONDS = 30.0  # a child that ran this long restarts without back-off
FLUSH_SECONDS = 1.0  # how often a pending read-back notice is retried


class WorkerProcess:
    """One supervised child running the steps; `submit` is the dispatcher's hand-off."""

    def __init__(
        self,
        command: tuple[str, ...] = CHILD_COMMAND,
        *,
        max_buffered: int = 256 * 1024,
        grace_seconds: float = GRACE_SECONDS,
        writer: SqliteWriter | None = None,
    ) -> None:
        self.command = command
        self.max_buffered = max_buffered
        self.grace_seconds = grace_seconds
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._loop = asyncio.get_running_loop()
        self._read_back_from: int | None = None
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self.writer = writer  # the child's claims and records run on it (writer_link.py)
        self._link: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise())

    def submit(self, run_id: int, delay_ms: int | None = None) -> None:
        """Hand a stored run to the child (thread-safe, never blocks, never raises)."""
        if called_off(self._loop):
            self._loop.call_soon_threadsafe(self.submit, run_id, delay_ms)
            return
        if not self._write(encode_run(run_id, delay_ms)):
            low = self._read_back_from
            self._read_back_from = run_id if low is None else min(low, run_id)

    def _write(self, line: bytes | None) -> bool:
        """Write to the child's pipe if it is up and has room (a pending read-back notice
        first); False when dropped."""
        stdin = None if self.process is None else self.process.stdin
        if stdin is None or stdin.is_closing():
            return False  # a starting child reads every unfinished run back
        if stdin.transport.get_write_buffer_size() > self.max_buffered:
            return False
        if self._read_back_from is not None:
            stdin.write(encode_read_back(self._read_back_from))
            self._read_back_from = None
        if line is not None:
            stdin.write(line)
        return True

    async def _spawn(self) -> None:
        self._read_back_from = None  # a new child reads everything back itself
        if self.writer is None:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, stdin=asyncio.subprocess.PIPE, start_new_session=True
            )
        else:
            ours, theirs = socket.socketpair()
            env = {**os.environ, WRITER_FD_VARIABLE: str(theirs.fileno())}
            try:
                self.process = await asyncio.create_subprocess_exec(
                    *self.command,
                    stdin=asyncio.subprocess.PIPE,
                    start_new_session=True,
                    pass_fds=(theirs.fileno(),),
                    env=env,
                )
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()
            self._link = asyncio.create_task(serve_units(ours, self.writer))
        log.info("started the worker process %d", self.process.pid)

    async def _supervise(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        while not self._stopping:
            process = self.process
            assert process is not None
            started = time.monotonic()
            exited = asyncio.ensure_future(process.wait())
            while not (await asyncio.wait({exited}, timeout=FLUSH_SECONDS))[0]:
                if self._read_back_from is not None:  # dropped ids and no new submit since
                    self._write(None)
            if self._stopping:
                return
            if time.monotonic() - started > HEALTHY_AFTER_SECONDS:
                backoff = FIRST_BACKOFF_SECONDS
            log.warning(
                "the worker process %d exited with %s; restarting it in %.1fs",
                process.pid,
                process.returncode,
                backoff,
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            if self._stopping:
                return
            try:
                await self._spawn()
                self.restarts += 1
            except OSError:
                log.exception("could not start the worker process; trying again")

    async def stop(self) -> None:
        """Close the pipe (the child finishes running steps), then wait; kill if late."""
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        try:
            await self._stop_process()
        finally:
            if self._link is not None:  # ends with the child's end of the socket pair
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._link, 5)

    async def _stop_process(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), self.grace_seconds + 5)
        except TimeoutError:
            log.warning("the worker process %d did not stop in time; killing it", process.pid)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
