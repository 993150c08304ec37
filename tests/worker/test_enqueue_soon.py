"""The webhook edge hands committed runs to the broker from a background thread.

`Dispatcher.run_step_soon` must never block the event loop on the broker, must enqueue
every id in order, and must survive a broker that is down (the sweeper then enqueues).
"""

from __future__ import annotations

import logging
import os
import secrets
import time

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from app.settings import BrokerSettings
from app.worker.broker import Dispatcher, build_broker


def _queued_run_ids(broker: StubBroker, queue_name: str) -> list[int]:
    queue = broker.queues[queue_name]
    messages = [dramatiq.Message.decode(queue.get_nowait()) for _ in range(queue.qsize())]
    return [message.args[0] for message in messages]


def test_every_run_reaches_the_broker_in_order() -> None:
    settings = BrokerSettings(url="stub://", queue_name="soon")
    dispatcher = Dispatcher(build_broker(settings), settings.queue_name)
    for run_id in range(1, 51):
        dispatcher.run_step_soon(run_id)
    assert dispatcher.flush(timeout=5)
    assert _queued_run_ids(dispatcher.broker, "soon") == list(range(1, 51))


def test_a_broker_that_is_down_neither_blocks_nor_stops_the_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on port 1: every enqueue fails after a connection attempt.
    settings = BrokerSettings(url="redis://127.0.0.1:1/0", queue_name="soon-down")
    dispatcher = Dispatcher(build_broker(settings), settings.queue_name)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="hookline.broker"):
        dispatcher.run_step_soon(7)
        dispatcher.run_step_soon(8)
        handed_over = time.monotonic() - started
        assert dispatcher.flush(timeout=30)
    assert handed_over < 0.05  # the caller (the event loop) did not wait for the broker
    # One warning with the cause per outage, not a traceback per accepted request.
    [warning] = caplog.records
    assert warning.getMessage().startswith("could not enqueue run 7; the sweeper will retry")
    assert warning.exc_info is not None


def test_the_end_of_an_outage_is_logged_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = BrokerSettings(url="stub://", queue_name="soon-back")
    dispatcher = Dispatcher(build_broker(settings), "not-declared")  # enqueues fail
    with caplog.at_level(logging.WARNING, logger="hookline.broker"):
        assert not dispatcher.try_run_step(1)
        assert not dispatcher.try_run_step(2)
        dispatcher.queue_name = settings.queue_name  # the broker is back
        assert dispatcher.try_run_step(3)
        assert dispatcher.try_run_step(4)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[1] == (
        "the broker answers again; 2 enqueue(s) had failed and are left to the sweeper"
    )


def test_redis_receives_the_runs(redis_broker_settings: BrokerSettings) -> None:
    broker = build_broker(redis_broker_settings)
    dispatcher = Dispatcher(broker, redis_broker_settings.queue_name)
    for run_id in (11, 12, 13):
        dispatcher.run_step_soon(run_id)
    assert dispatcher.flush(timeout=10)
    consumer = broker.consume(redis_broker_settings.queue_name, prefetch=10, timeout=1000)
    received = []
    for _ in range(3):
        message = next(consumer)
        assert message is not None
        received.append(message.args[0])
        consumer.ack(message)
    consumer.close()
    broker.close()
    assert received == [11, 12, 13]


@pytest.fixture
def redis_broker_settings() -> BrokerSettings:
    if not os.environ.get("TEST_REDIS_URL"):
        pytest.skip("Redis variant skipped: set TEST_REDIS_URL to run it (.ci/run does)")
    return BrokerSettings(
        url=os.environ["TEST_REDIS_URL"], queue_name=f"soon-{secrets.token_hex(4)}"
    )
