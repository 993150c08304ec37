"""The loop worker of the embedded default: steps as asyncio tasks on one event loop.

`hookline serve` runs it in a child process it supervises (`EMBEDDED_WORKER=process`,
see `supervisor.py` and `child_process.py`), or on the web's own event loop (`inline`,
and `create_app(settings, embedded_worker=True)` in tests), as described below.

With the in-process broker (`stub://`) the steps run as asyncio tasks next to the web
edge instead of behind Dramatiq's threads: no GIL hand-offs between a worker thread, an
event-loop thread and the web loop, and every database write goes through the web's
`GroupCommitter`, so claims, step records and inbound events share transactions (one
SQLite writer, one fsync per batch). Concurrency is bounded (`concurrency` steps at a
time) and so is the backlog kept in memory: past `backlog` ids, new work is left in
the database (where it is safe anyway) and read back, oldest first, once the backlog
has room. `lag_seconds` says how long the oldest waiting id has waited.

With a shared broker (Redis, RabbitMQ) the embedded worker stays a Dramatiq worker, so
several processes can share the queue; see `start_in_process_worker`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from typing import Protocol

import dramatiq

from app.settings import Settings
from app.store.backlog import unfinished_run_ids
from app.store.db import SessionFactory, transaction
from app.store.group_commit import GroupCommitter
from app.worker.actors import STEP_TIME_LIMIT_MS, declare_actors
from app.worker.broker import Dispatcher, called_off
from app.worker.execution import run_next_step
from app.worker.runtime import WorkerRuntime

log = logging.getLogger("hookline.embedded")
RETRY_DELAYS = (1, 2, 5, 15, 60, 300)  # seconds after an unexpected error in a step run


class InProcessWorker(Protocol):
    async def stop(self) -> None: ...


class LoopWorker:
    """Runs `run_next_step` for submitted run ids on the current event loop."""

    def __init__(
        self,
        runtime: WorkerRuntime,
        sessions: SessionFactory,
        *,
        concurrency: int = 32,
        backlog: int = 10_000,
    ) -> None:
        self.runtime = runtime
        self.sessions = sessions
        self.concurrency = concurrency
        self.backlog = backlog
        self._queue: collections.deque[tuple[int, float]] = collections.deque()
        self._ready = asyncio.Event()
        self._overflow_from: int | None = None  # lowest run id left in the database
        self._failures: dict[int, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._loop = asyncio.get_running_loop()
        self._stopping = False

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._consume()) for _ in range(self.concurrency)]

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let running steps finish (for a while), then stop; queued ids stay in the database."""
        self._stopping = True
        self._ready.set()
        if self._tasks:
            _done, late = await asyncio.wait(self._tasks, timeout=grace_seconds)
            for task in late:  # their attempts stay "running"; leases bring them back
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def lag_seconds(self) -> float:
        """How long the oldest id in memory has waited for a free slot."""
        return time.monotonic() - self._queue[0][1] if self._queue else 0.0

    def submit(self, run_id: int, delay_ms: int | None = None) -> None:
        """Queue a run (thread-safe); with `delay_ms`, only once that has passed."""
        if called_off(self._loop):
            self._loop.call_soon_threadsafe(self.submit, run_id, delay_ms)
        elif delay_ms:
            self._loop.call_later(delay_ms / 1000, self._push, run_id)
        else:
            self._push(run_id)

    def read_back(self, from_id: int = 0) -> None:
        """Take unfinished runs from `from_id` up back from the database (start, overflow)."""
        low = self._overflow_from
        self._overflow_from = from_id if low is None else min(low, from_id)
        self._ready.set()

    def _push(self, run_id: int) -> None:
        if self._stopping:  # stored and leased: the next start's sweeper picks it up
            return
        if len(self._queue) >= self.backlog:
            # The run is stored; read it back when there is room (never an unbounded queue).
            low = self._overflow_from
            self._overflow_from = run_id if low is None else min(low, run_id)
            return
        self._queue.append((run_id, time.monotonic()))
        self._ready.set()

    async def _consume(self) -> None:
        while not self._stopping:
            if not self._queue:
                self._ready.clear()
                if self._overflow_from is not None:
                    await self._refill()
                    continue
                await self._ready.wait()
                continue
            run_id, _queued_at = self._queue.popleft()
            await self._run(run_id)

    async def _run(self, run_id: int) -> None:
        try:
            async with asyncio.timeout(STEP_TIME_LIMIT_MS / 1000):
                await run_next_step(self.runtime, run_id)
        except Exception:  # like a Dramatiq retry: try the run again a little later
            tries = self._failures.get(run_id, 0)
            self._failures[run_id] = tries + 1
            if tries < len(RETRY_DELAYS):
                log.warning("step run %s failed; retrying", run_id, exc_info=True)
                self.submit(run_id, delay_ms=RETRY_DELAYS[tries] * 1000)
            else:  # the sweeper takes it from here once its lease runs out
                log.exception("step run %s keeps failing; leaving it to the sweeper", run_id)
                self._failures.pop(run_id, None)
        else:
            self._failures.pop(run_id, None)

    async def _refill(self) -> None:
        start = self._overflow_from
        if start is None:
            return
        self._overflow_from = None
        room = max(1, self.backlog // 2)
        try:
            async with transaction(self.sessions) as session:
                ids = await unfinished_run_ids(session, from_id=start, limit=room)
        except Exception:  # the database may be down: try again shortly
            log.warning("could not read the backlog back; retrying", exc_info=True)
            self._overflow_from = start
            await asyncio.sleep(1)
            return
        if len(ids) == room:
            self._overflow_from = ids[-1] + 1
        for run_id in ids:
            self._push(run_id)


class _DramatiqInProcess:
    def __init__(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.broker = broker
        self.worker = worker

    async def stop(self) -> None:
        await asyncio.to_thread(self.worker.stop)
        self.broker.close()


def start_in_process_worker(
    settings: Settings,
    broker: dramatiq.Broker,
    dispatcher: Dispatcher,
    sessions: SessionFactory,
    committer: GroupCommitter,
) -> tuple[WorkerRuntime, InProcessWorker]:
    """The loop worker for `stub://`; a Dramatiq worker thread for a shared broker."""
    if settings.broker.kind == "stub":
        runtime, loop_worker = start_loop_worker(settings, dispatcher, sessions, committer)
        return runtime, _Closing(loop_worker, runtime)
    runtime = WorkerRuntime(settings, dispatcher)
    declare_actors(broker, runtime)
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=settings.broker.worker_threads)
    worker.start()
    return runtime, _DramatiqInProcess(broker, worker)


def start_loop_worker(
    settings: Settings, dispatcher: Dispatcher, sessions: SessionFactory, committer: GroupCommitter
) -> tuple[WorkerRuntime, LoopWorker]:
    """A running loop worker writing through `committer`; `dispatcher` now feeds it."""
    at_once = settings.broker.embedded_steps_at_once
    runtime = WorkerRuntime(settings, dispatcher, connections=at_once)
    runtime.use_shared_writer(sessions, committer)
    loop_worker = LoopWorker(runtime, sessions, concurrency=at_once)
    dispatcher.run_locally(loop_worker.submit)
    loop_worker.start()
    return runtime, loop_worker


class _Closing:
    def __init__(self, loop_worker: LoopWorker, runtime: WorkerRuntime) -> None:
        self.loop_worker = loop_worker
        self.runtime = runtime

    async def stop(self) -> None:
        await self.loop_worker.stop()
        with contextlib.suppress(Exception):
            await self.runtime.close()
