"""How each way a call can fail is classified: never sent (safe to retry) or maybe delivered.

Real loopback servers refuse, hang, reset, close mid-answer or speak something other
than HTTP. A failure before the request could leave must say `maybe_delivered=False`;
anything after the connection took the request must say True, so a POST is not resent.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from dataclasses import replace

import pytest
from yarl import URL

from app.integrations.outbound_client import (
    BlockedDestination,
    OutboundClient,
    OutboundError,
    OutboundPolicy,
    build_outbound_client,
    send_request,
)
from tests.integrations.conftest import LOOPBACK_ALLOWED, LocalServer
from tests.support.raw_tcp import tcp_server


async def post(url: str, policy: OutboundPolicy = LOOPBACK_ALLOWED, body: bytes = b"{}") -> None:
    async with build_outbound_client(policy) as client:
        await send_request(client, policy, method="POST", url=url, headers=[], content=body)


async def failure_of(
    url: str, policy: OutboundPolicy = LOOPBACK_ALLOWED, **kw: bytes
) -> OutboundError:
    with pytest.raises(OutboundError) as failed:
        await post(url, policy, **kw)
    return failed.value


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a clean FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def test_a_refused_connection_was_not_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    failure = await failure_of(f"http://127.0.0.1:{port}/in")

    assert not failure.maybe_delivered
    assert failure.message == "Could not connect to 127.0.0.1: connection refused"


async def test_an_unknown_name_was_not_sent() -> None:
    failure = await failure_of("http://nowhere.invalid/in", OutboundPolicy())

    assert not failure.maybe_delivered
    assert "the name could not be found" in failure.message


@pytest.mark.parametrize("host", ["2130706433", "0", "127.1", "017700000001"])
async def test_a_number_that_is_not_an_ip_address_is_named_as_such(host: str) -> None:
    failure = await failure_of(f"http://{host}:9/in")

    assert not failure.maybe_delivered
    assert failure.message == (
        f"Could not connect to {host}: the address is not a valid host name or IP address "
        "(write an IP address as four numbers, e.g. 203.0.113.7)"
    )


async def test_a_full_pool_times_out_as_not_sent(local_server: LocalServer) -> None:
    policy = replace(LOOPBACK_ALLOWED, connect_timeout=0.3)
    async with build_outbound_client(policy, max_connections=1) as client:

        async def call(path: str) -> None:
            await send_request(
                client, policy, method="POST", url=local_server.url(path), headers=[], content=b""
            )

        holder = asyncio.create_task(call("/slow"))
        await asyncio.sleep(0.1)
        with pytest.raises(OutboundError) as failed:
            await call("/in")
        local_server.release.set()
        await holder

    assert not failed.value.maybe_delivered
    assert failed.value.message == "Could not connect to 127.0.0.1 within 0.3 seconds."
    assert [r.path for r in local_server.received] == ["/slow"]


async def test_a_connect_timeout_was_not_sent() -> None:
    """A listener whose accept queue is full drops our SYN: the connection never opens."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the accept queue (never accepted)
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    await asyncio.sleep(0.1)
    try:
        failure = await failure_of(
            f"http://127.0.0.1:{port}/in", replace(LOOPBACK_ALLOWED, connect_timeout=0.3)
        )
    finally:
        for sock in [*fillers, listener]:
            sock.close()

    assert not failure.maybe_delivered
    assert failure.message == "Could not connect to 127.0.0.1 within 0.3 seconds."


async def test_a_tls_handshake_failure_was_not_sent() -> None:
    async def plain_text(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"this is not TLS\r\n\r\n")
        writer.close()

    async with tcp_server(plain_text) as url:
        failure = await failure_of(url.replace("http://", "https://"))

    assert not failure.maybe_delivered
    assert "the secure (TLS) connection could not be set up" in failure.message


async def test_a_certificate_failure_was_not_sent(tls_server: LocalServer, test_ca) -> None:
    trusting = ssl.create_default_context()
    test_ca.configure_trust(trusting)
    async with build_outbound_client(LOOPBACK_ALLOWED, ssl_context=trusting) as client:
        with pytest.raises(OutboundError) as failed:
            await send_request(
                client,
                LOOPBACK_ALLOWED,
                method="POST",
                url=f"https://127.0.0.1:{tls_server.port}/in",
                headers=[],
                content=b"{}",
            )

    assert not failed.value.maybe_delivered
    assert "TLS certificate could not be verified" in failed.value.message


async def test_a_hung_answer_may_have_been_delivered() -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)

    async with tcp_server(hang) as url:
        failure = await failure_of(url, replace(LOOPBACK_ALLOWED, read_timeout=0.3))

    assert failure.maybe_delivered
    assert failure.message == "The destination did not answer within 0.3 seconds."


async def test_a_hang_up_without_an_answer_may_have_been_delivered() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async with tcp_server(hang_up) as url:
        failure = await failure_of(url)

    assert failure.maybe_delivered
    assert "closed the connection" in failure.message


async def test_a_reset_after_the_request_may_have_been_delivered() -> None:
    async def read_then_reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        reset(writer)

    async with tcp_server(read_then_reset) as url:
        failure = await failure_of(url)

    assert failure.maybe_delivered


async def test_a_reset_while_writing_a_large_body_may_have_been_delivered() -> None:
    async def reset_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.read(1000)
        reset(writer)

    async with tcp_server(reset_mid_body) as url:
        failure = await failure_of(url, body=b"x" * 20_000_000)

    assert failure.maybe_delivered


async def test_an_answer_cut_mid_body_may_have_been_delivered() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    async with tcp_server(cut) as url:
        failure = await failure_of(url)

    assert failure.maybe_delivered
    assert failure.message == "127.0.0.1 closed the connection before sending its whole answer."


async def test_an_answer_that_is_not_http_may_have_been_delivered() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        writer.close()

    async with tcp_server(garbage) as url:
        failure = await failure_of(url)

    assert failure.maybe_delivered
    assert "not valid HTTP" in failure.message


async def post_through_pool(client: OutboundClient, url: str) -> None:
    await client.pool.exchange(
        OutboundPolicy(), method="POST", url=URL(url), headers=[], content=b"{}"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"])
async def test_the_transport_refuses_a_blocked_literal_at_connect_time(
    local_server: LocalServer, host: str
) -> None:
    """Straight through the pool (no early literal check): the socket is refused."""
    async with build_outbound_client(OutboundPolicy()) as client:
        with pytest.raises(
            BlockedDestination, match=r"is an IPv6 form of 127\.0\.0\.1|is loopback"
        ):
            await post_through_pool(client, f"http://{host}:{local_server.port}/in")

    assert local_server.received == []


async def test_the_transport_refuses_a_name_that_resolves_to_loopback(
    local_server: LocalServer,
) -> None:
    async with build_outbound_client(OutboundPolicy()) as client:
        with pytest.raises(BlockedDestination, match=r"localhost resolves to"):
            await post_through_pool(client, f"http://localhost:{local_server.port}/in")

    assert local_server.received == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_idempotent_methods_are_not_resent_by_the_transport(
    local_server: LocalServer, method: str
) -> None:
    """aiohttp resends these once on a broken connection by itself; ours must not."""
    async with build_outbound_client(LOOPBACK_ALLOWED) as client:
        with pytest.raises(OutboundError) as failed:
            await send_request(
                client,
                LOOPBACK_ALLOWED,
                method=method,
                url=local_server.url("/hangup"),
                headers=[],
                content=None,
            )

    assert failed.value.maybe_delivered
    assert len(local_server.received) == 1
