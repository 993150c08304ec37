"""Fixtures for the outbound tests: recording servers, TLS server, loopback-allowing policy,
an action context with an empty trigger, and the HTTP step called with a plain config."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import trustme

from app.integrations.base import ActionContext, ActionResult
from app.integrations.http_request import HttpRequestAction, HttpRequestConfig
from app.integrations.outbound_client import OutboundClient, OutboundPolicy, build_outbound_client
from tests.support.local_http import (  # noqa: F401 - re-exported for the tests here
    EXACT_JSON_ANSWER,
    LocalServer,
    ReceivedRequest,
    serve_recording,
)


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    yield from serve_recording("127.0.0.1")


@pytest.fixture
def second_loopback_server() -> Iterator[LocalServer]:
    """A server on 127.0.0.2, so a policy can allow it while 127.0.0.1 stays blocked."""
    yield from serve_recording("127.0.0.2")


LOOPBACK_ALLOWED = OutboundPolicy(
    allow_networks=(ipaddress.ip_network("127.0.0.0/8"),), read_timeout=5.0, total_timeout=10.0
)


@pytest.fixture
def policy() -> OutboundPolicy:
    return LOOPBACK_ALLOWED


@pytest.fixture
async def client(policy: OutboundPolicy) -> AsyncIterator[OutboundClient]:
    async with build_outbound_client(policy) as outbound:
        yield outbound


@pytest.fixture
async def context() -> AsyncIterator[ActionContext]:
    """A step's context with an empty trigger (test modules with data override it)."""
    async with build_outbound_client(LOOPBACK_ALLOWED) as client:
        yield ActionContext({"trigger": {"body": {}}}, client, LOOPBACK_ALLOWED, "warn")


async def http(ctx: ActionContext, **config: Any) -> ActionResult:
    """Run the HTTP request step with `config` (validated as when saved)."""
    return await HttpRequestAction().execute(HttpRequestConfig.model_validate(config), ctx)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(test_ca: trustme.CA) -> Iterator[LocalServer]:
    """An HTTPS server on 127.0.0.1 whose certificate names only "localhost"."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("localhost").configure_cert(context)
    yield from serve_recording("127.0.0.1", tls=context)
