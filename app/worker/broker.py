"""Builds the Dramatiq broker from settings, and the one way anything enqueues work.

The broker only ever carries run ids. `stub://` is the in-process broker of the
embedded default; `redis://` and `amqp://` select Dramatiq's Redis and RabbitMQ brokers.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
from collections.abc import Callable

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO

from app.settings import BrokerSettings

RUN_STEP_ACTOR = "run_step"
log = logging.getLogger("hookline.broker")


def called_off(loop: asyncio.AbstractEventLoop) -> bool:
    """True when the caller is not running on `loop` (another thread or loop): an
    in-process worker's `submit` then hops over with `call_soon_threadsafe`."""
    try:
        return asyncio.get_running_loop() is not loop
    except RuntimeError:
        return True


def build_broker(settings: BrokerSettings) -> dramatiq.Broker:
    broker: dramatiq.Broker
    if settings.kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=settings.url)  # type: ignore[no-untyped-call]
    elif settings.kind == "rabbitmq":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=settings.url)
    else:
        broker = StubBroker()
    broker.add_middleware(AsyncIO())
    broker.declare_queue(settings.queue_name)
    return broker


class Dispatcher:
    """Enqueues work by id. Failures propagate: callers decide whether they matter."""

    def __init__(self, broker: dramatiq.Broker, queue_name: str) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self._local: Callable[[int, int | None], None] | None = None
        self._failed_enqueues = 0  # in the current broker outage (logged once, then counted)
        self._soon: collections.deque[int] = collections.deque()
        self._soon_ready = threading.Condition()
        self._soon_thread: threading.Thread | None = None

    def run_locally(self, submit: Callable[[int, int | None], None]) -> None:
        """Hand work to an in-process worker instead of the broker (embedded, `stub://`)."""
        self._local = submit

    def run_step(self, run_id: int, *, delay_ms: int | None = None) -> None:
        if self._local is not None:
            self._local(run_id, delay_ms)
            return
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=self.queue_name,
            actor_name=RUN_STEP_ACTOR,
            args=(run_id,),
            kwargs={},
            options={},
        )
        self.broker.enqueue(message, delay=delay_ms)

    def try_run_step(self, run_id: int) -> bool:
        """Enqueue a committed run; if the broker is down, say so and leave it to the sweeper.

        The run is in the database with a lease, so a failed enqueue loses nothing: the
        sweeper enqueues it again once the lease runs out.
        """
        try:
            self.run_step(run_id)
        except Exception:  # any broker failure; the database still holds the run
            self._failed_enqueues += 1
            if self._failed_enqueues == 1:  # the first of an outage, with its cause
                log.warning(
                    "could not enqueue run %s; the sweeper will retry (further failures "
                    "are counted until the broker answers again)",
                    run_id,
                    exc_info=True,
                )
            return False
        if self._failed_enqueues:
            log.warning(
                "the broker answers again; %d enqueue(s) had failed and are left to the sweeper",
                self._failed_enqueues,
            )
            self._failed_enqueues = 0
        return True

    def run_step_soon(self, run_id: int) -> None:
        """`try_run_step` without blocking the caller's event loop on the broker.

        An in-process worker takes the id at once; a broker's enqueue (a network round trip
        on a blocking client) is made by a background thread, in order. The run is committed
        with a lease first, so an id still waiting here when the process dies is enqueued
        by the sweeper, as after a failed enqueue.
        """
        if self._local is not None:
            self.try_run_step(run_id)
            return
        with self._soon_ready:
            self._soon.append(run_id)
            if self._soon_thread is None:
                self._soon_thread = threading.Thread(
                    target=self._enqueue_soon, name="hookline-enqueue", daemon=True
                )
                self._soon_thread.start()
            self._soon_ready.notify()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every id given to `run_step_soon` was handed to the broker."""
        with self._soon_ready:
            return self._soon_ready.wait_for(lambda: not self._soon, timeout=timeout)

    def _enqueue_soon(self) -> None:
        while True:
            with self._soon_ready:
                self._soon_ready.wait_for(lambda: bool(self._soon))
                run_id = self._soon[0]
            self.try_run_step(run_id)
            with self._soon_ready:
                self._soon.popleft()  # only now: flush() waits for the enqueue itself
                self._soon_ready.notify_all()
