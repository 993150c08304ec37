"""Fixtures for the outbound tests: recording servers, TLS server, loopback-allowing policy."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import trustme

from app.integrations.outbound_client import OutboundPolicy, build_outbound_client
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
async def client(policy: OutboundPolicy) -> AsyncIterator[httpx.AsyncClient]:
    async with build_outbound_client(policy) as outbound:
        yield outbound


@pytest.fixture(scope="session")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(test_ca: trustme.CA) -> Iterator[LocalServer]:
    """An HTTPS server on 127.0.0.1 whose certificate names only "localhost"."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("localhost").configure_cert(context)
    yield from serve_recording("127.0.0.1", tls=context)
