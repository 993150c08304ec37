"""A standalone worker process: Dramatiq consumers plus the sweeper, stopped by SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

import dramatiq

from app.settings import Settings
from app.store.db import create_engine, create_session_factory
from app.worker.actors import declare_actors
from app.worker.broker import Dispatcher, build_broker
from app.worker.runtime import WorkerRuntime
from app.worker.sweeper import sweep_until

log = logging.getLogger("hookline.worker")


def run_worker_process(settings: Settings, *, threads: int) -> None:
    broker = build_broker(settings.broker)
    dispatcher = Dispatcher(broker, settings.broker.queue_name)
    runtime = WorkerRuntime(settings, dispatcher)
    declare_actors(broker, runtime)
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=threads)
    worker.start()
    log.info("worker started with %d threads on %s", threads, settings.broker.kind)
    try:
        asyncio.run(_sweep_until_signalled(settings, dispatcher, runtime))
    finally:
        log.info("worker stopping")
        worker.stop()
        broker.close()


async def _sweep_until_signalled(
    settings: Settings, dispatcher: Dispatcher, runtime: WorkerRuntime
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    engine = create_engine(settings.database)
    sweeper = asyncio.create_task(
        sweep_until(
            stop,
            create_session_factory(engine),
            dispatcher,
            lease=runtime.lease,
            interval=settings.broker.sweep_interval_seconds,
        )
    )
    await sweeper
    await engine.dispose()
