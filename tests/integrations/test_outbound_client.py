"""The outbound client against real loopback servers: limits, redirects, errors, the guard."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import replace

import pytest
import trustme

from app.integrations.outbound_client import (
    BlockedDestination,
    OutboundError,
    OutboundPolicy,
    OutboundResponse,
    build_outbound_client,
    send_request,
)
from tests.integrations.conftest import LOOPBACK_ALLOWED, LocalServer


async def fetch(
    policy: OutboundPolicy, url: str, *, method: str = "GET", content: bytes | None = None
) -> OutboundResponse:
    async with build_outbound_client(policy) as client:
        return await send_request(
            client, policy, method=method, url=url, headers=[], content=content
        )


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_send_request_delivers_body_and_headers(local_server: LocalServer) -> None:
    policy = LOOPBACK_ALLOWED
    async with build_outbound_client(policy) as client:
        response = await send_request(
            client,
            policy,
            method="POST",
            url=local_server.url("/in"),
            headers=[("X-Trace", "abc"), ("X-Trace", "def")],
            content=b'{"amount": 10.10}',
        )

    assert response.status == 200
    assert response.body == b'{"ok": true}'
    assert not response.truncated
    assert response.final_url == local_server.url("/in")
    [received] = local_server.received
    assert (received.method, received.body) == ("POST", b'{"amount": 10.10}')
    assert [v for k, v in received.headers if k == "X-Trace"] == ["abc", "def"]
    assert received.header("User-Agent") == "Hookline/0.1"


async def test_send_request_blocks_loopback_by_default(local_server: LocalServer) -> None:
    with pytest.raises(BlockedDestination) as blocked:
        await fetch(OutboundPolicy(), local_server.url("/in"))

    assert str(blocked.value) == (
        "Hookline does not call private or local addresses (127.0.0.1 is loopback). "
        "An operator can allow it with OUTBOUND_ALLOW_NETWORKS."
    )
    assert local_server.received == []


async def test_send_request_blocks_a_name_that_resolves_to_loopback(
    local_server: LocalServer,
) -> None:
    with pytest.raises(BlockedDestination, match=r"localhost resolves to 127\.0\.0\.1"):
        await fetch(OutboundPolicy(), f"http://localhost:{local_server.port}/in")

    assert local_server.received == []


async def test_send_request_blocks_a_redirect_to_a_blocked_address(
    local_server: LocalServer, second_loopback_server: LocalServer
) -> None:
    only_second = OutboundPolicy(allow_networks=(ipaddress.ip_network("127.0.0.2/32"),))
    target = local_server.url("/secret")

    with pytest.raises(BlockedDestination, match=r"127\.0\.0\.1 is loopback"):
        await fetch(only_second, second_loopback_server.url(f"/redirect?to={target}"))

    assert len(second_loopback_server.received) == 1
    assert local_server.received == []


async def test_send_request_checks_redirects_by_name_at_connect_time(
    local_server: LocalServer, second_loopback_server: LocalServer
) -> None:
    only_second = OutboundPolicy(allow_networks=(ipaddress.ip_network("127.0.0.2/32"),))
    target = f"http://localhost:{local_server.port}/secret"

    with pytest.raises(BlockedDestination, match="localhost resolves to"):
        await fetch(only_second, second_loopback_server.url(f"/redirect?to={target}"))

    assert local_server.received == []


async def test_send_request_follows_303_with_get(local_server: LocalServer) -> None:
    response = await fetch(
        LOOPBACK_ALLOWED,
        local_server.url("/redirect?to=/echo&code=303"),
        method="POST",
        content=b"payload",
    )

    assert response.status == 200
    assert response.body == b'{"method": "GET"}'
    assert response.final_url == local_server.url("/echo")
    assert [r.method for r in local_server.received] == ["POST", "GET"]
    assert local_server.received[1].body == b""


async def test_send_request_stops_after_max_redirects(local_server: LocalServer) -> None:
    policy = replace(LOOPBACK_ALLOWED, max_redirects=2)
    loop = "/redirect?to=/redirect%3Fto%3D/redirect%253Fto%253D/echo"

    with pytest.raises(OutboundError, match="redirected more than 2 times"):
        await fetch(policy, local_server.url(loop))


async def test_send_request_caps_the_response_body(local_server: LocalServer) -> None:
    policy = replace(LOOPBACK_ALLOWED, max_response_bytes=1000)

    capped = await fetch(policy, local_server.url("/big?bytes=5000"))
    exact = await fetch(policy, local_server.url("/big?bytes=1000"))

    assert (len(capped.body), capped.truncated) == (1000, True)
    assert (len(exact.body), exact.truncated) == (1000, False)


async def test_send_request_reports_connection_refused() -> None:
    port = unused_port()

    with pytest.raises(OutboundError) as failed:
        await fetch(LOOPBACK_ALLOWED, f"http://127.0.0.1:{port}/in")

    assert str(failed.value) == "Could not connect to 127.0.0.1: connection refused"


async def test_send_request_reports_a_slow_answer(local_server: LocalServer) -> None:
    policy = replace(LOOPBACK_ALLOWED, read_timeout=0.3)

    with pytest.raises(OutboundError) as failed:
        await fetch(policy, local_server.url("/slow"))

    assert str(failed.value) == "The destination did not answer within 0.3 seconds."


async def test_send_request_enforces_the_total_deadline(local_server: LocalServer) -> None:
    policy = replace(LOOPBACK_ALLOWED, read_timeout=5.0, total_timeout=0.3)

    with pytest.raises(OutboundError, match=r"did not answer within 0\.3 seconds"):
        await fetch(policy, local_server.url("/slow"))


async def test_send_request_reports_an_unknown_name() -> None:
    with pytest.raises(OutboundError, match=r"Could not connect to nowhere\.invalid: the name"):
        await fetch(OutboundPolicy(), "http://nowhere.invalid/in")


async def test_send_request_refuses_other_schemes() -> None:
    with pytest.raises(OutboundError, match="http:// or https://"):
        await fetch(OutboundPolicy(), "ftp://example.com/file")


async def test_client_does_not_remember_cookies(local_server: LocalServer) -> None:
    policy = LOOPBACK_ALLOWED
    async with build_outbound_client(policy) as client:
        for path in ("/cookie", "/in"):
            await send_request(
                client, policy, method="GET", url=local_server.url(path), headers=[], content=None
            )

    assert local_server.received[1].header("Cookie") is None


async def tls_fetch(ca: trustme.CA, url: str) -> OutboundResponse:
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    policy = LOOPBACK_ALLOWED
    async with build_outbound_client(policy, ssl_context=trusting) as client:
        return await send_request(client, policy, method="GET", url=url, headers=[], content=None)


async def test_tls_is_verified_against_the_host_name(
    tls_server: LocalServer, test_ca: trustme.CA
) -> None:
    response = await tls_fetch(test_ca, f"https://localhost:{tls_server.port}/in")

    assert response.status == 200
    assert len(tls_server.received) == 1


async def test_tls_refuses_a_certificate_for_another_name(
    tls_server: LocalServer, test_ca: trustme.CA
) -> None:
    with pytest.raises(OutboundError, match="TLS certificate could not be verified"):
        await tls_fetch(test_ca, f"https://127.0.0.1:{tls_server.port}/in")

    assert tls_server.received == []
