"""Test wiring for every layer: databases, brokers, the app, an API user, a recording server.

SQLite runs always. PostgreSQL, Redis and RabbitMQ variants of the same tests run when
TEST_DATABASE_URL / TEST_REDIS_URL / TEST_AMQP_URL are set (`.ci/run` sets them), and are
skipped with a visible reason otherwise.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from app.settings import (
    AppSettings,
    BrokerSettings,
    DatabaseSettings,
    OutboundSettings,
    Settings,
)
from app.store.db import create_engine, create_session_factory, transaction
from app.store.migrate import upgrade_to_head
from app.store.users import create_user, issue_api_token
from tests.support.databases import fresh_postgres_database
from tests.support.local_http import LocalServer, serve_recording

TEST_SECRET = "test-secret-key-" + "x" * 32
DATABASES = ["sqlite", "postgresql"]
BROKERS = ["stub", "redis", "rabbitmq"]


def _skip_without(variable: str, what: str) -> None:
    if not os.environ.get(variable):
        pytest.skip(f"{what} variant skipped: set {variable} to run it (.ci/run does)")


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hookline.db'}"
        upgrade_to_head(url)
        yield url
        return
    _skip_without("TEST_DATABASE_URL", "PostgreSQL")
    with fresh_postgres_database(os.environ["TEST_DATABASE_URL"]) as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture
def broker_url(request: pytest.FixtureRequest) -> str:
    kind = getattr(request, "param", "stub")
    if kind == "redis":
        _skip_without("TEST_REDIS_URL", "Redis")
        return os.environ["TEST_REDIS_URL"]
    if kind == "rabbitmq":
        _skip_without("TEST_AMQP_URL", "RabbitMQ")
        return os.environ["TEST_AMQP_URL"]
    return "stub://"


@pytest.fixture
def settings(database_url: str, broker_url: str) -> Settings:
    return Settings(
        app=AppSettings(
            env="test", secret_key=TEST_SECRET, public_base_url="http://testserver.local"
        ),
        database=DatabaseSettings(url=database_url),
        broker=BrokerSettings(
            url=broker_url,
            queue_name=f"hookline-test-{secrets.token_hex(4)}",
            worker_threads=4,
            sweep_interval_seconds=0.5,
            retry_max_tries=1,  # most tests want a failure to be final; test_retries turns it on
        ),
        outbound=OutboundSettings(
            allow_networks=(ipaddress.ip_network("127.0.0.0/8"),), total_timeout=10.0
        ),
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The whole app (web + in-process worker + sweeper) behind an ASGI test client."""
    from app.web.asgi import create_app

    app = create_app(settings, embedded_worker=True)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@dataclass(frozen=True)
class ApiUser:
    id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_api_user(settings: Settings, email: str) -> ApiUser:
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            user = await create_user(session, email=email)
            assert user.id is not None
            _row, token = await issue_api_token(session, user_id=user.id)
    finally:
        await engine.dispose()
    return ApiUser(id=user.id, email=email, token=token)


@pytest.fixture
async def api_user(settings: Settings) -> ApiUser:
    return await make_api_user(settings, "alice@example.com")


@pytest.fixture
async def other_user(settings: Settings) -> ApiUser:
    return await make_api_user(settings, "bob@example.com")


@pytest.fixture
def sink() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 recording every request it gets."""
    yield from serve_recording("127.0.0.1")


async def wait_for(predicate, *, timeout: float = 15.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll an async or sync predicate until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


@pytest.fixture(autouse=True)
def collect_garbage_after_each_test() -> Iterator[None]:
    """Unclosed connections surface in the test that leaked them, not in a random later one."""
    yield
    gc.collect()
