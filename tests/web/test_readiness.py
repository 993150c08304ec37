"""`/readyz` answers 200 only when the database and the broker answer; 503 names what is down."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from app.settings import BrokerSettings, DatabaseSettings, Settings


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def web_only(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    from app.web.asgi import create_app

    async with AsyncTestClient(app=create_app(settings), base_url="http://t.local") as client:
        yield client


def with_broker(settings: Settings, url: str) -> Settings:
    broker = BrokerSettings(url=url, queue_name=settings.broker.queue_name)
    return settings.model_copy(update={"broker": broker})


async def test_ready_with_the_database_and_in_process_broker(settings: Settings) -> None:
    async with web_only(settings) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert (await _healthz(settings)) == 200


async def _healthz(settings: Settings) -> int:
    async with web_only(settings) as client:
        return (await client.get("/healthz")).status_code


async def test_ready_with_a_real_redis(settings: Settings) -> None:
    if not os.environ.get("TEST_REDIS_URL"):
        pytest.skip("Redis variant skipped: set TEST_REDIS_URL to run it (.ci/run does)")
    async with web_only(with_broker(settings, os.environ["TEST_REDIS_URL"])) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("scheme", "name"),
    [("redis://127.0.0.1:{port}/0", "Redis"), ("amqp://127.0.0.1:{port}/", "RabbitMQ")],
)
async def test_unreachable_broker_is_named_in_a_503(
    settings: Settings, scheme: str, name: str
) -> None:
    async with web_only(with_broker(settings, scheme.format(port=closed_port()))) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.text == f"Not ready: the message broker ({name}) is unreachable.\n"


async def test_unreachable_database_and_broker_are_both_named(
    settings: Settings, tmp_path: Path
) -> None:
    missing = DatabaseSettings(url=f"sqlite:///{tmp_path}/no/such/dir/hookline.db")
    broken = with_broker(settings, f"redis://127.0.0.1:{closed_port()}/0")
    async with web_only(broken.model_copy(update={"database": missing})) as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert "the database is unreachable" in answer.text
    assert "the message broker (Redis) is unreachable" in answer.text
