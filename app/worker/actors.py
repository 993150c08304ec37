"""The Dramatiq actors, declared on a given broker (no import-time broker or side effects).

Actors are thin: they take ids and hand over to `execution`. Retrying a whole
message is safe because every step is claimed by a unique row before it runs.
"""

from __future__ import annotations

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware
from dramatiq.middleware.asyncio import AsyncIO

from app.worker.broker import RUN_STEP_ACTOR
from app.worker.execution import run_next_step
from app.worker.runtime import WorkerRuntime

STEP_TIME_LIMIT_MS = 5 * 60 * 1000


def declare_actors(broker: dramatiq.Broker, runtime: WorkerRuntime) -> dramatiq.Actor[..., object]:
    """Register `run_step` on the broker, bound to this process's runtime."""
    # after=AsyncIO: shutdown hooks run in reverse order, so ours runs while the loop lives.
    broker.add_middleware(_RuntimeCloser(runtime), after=AsyncIO)

    async def run_step(run_id: int) -> None:
        await run_next_step(runtime, run_id)

    run_step.__name__ = RUN_STEP_ACTOR
    declare = dramatiq.actor(
        broker=broker,
        actor_name=RUN_STEP_ACTOR,
        queue_name=runtime.dispatcher.queue_name,
        max_retries=20,
        min_backoff=1_000,
        max_backoff=300_000,
        time_limit=STEP_TIME_LIMIT_MS,
    )
    actor: dramatiq.Actor[..., object] = declare(run_step)
    return actor


class _RuntimeCloser(Middleware):
    """Closes the runtime's engine and client on the worker's event loop, before it stops."""

    def __init__(self, runtime: WorkerRuntime) -> None:
        self.runtime = runtime

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(self.runtime.close())
