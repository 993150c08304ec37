"""The worker's outbound pool lets every step it runs at once call out at once.

With a pool of 10 connections, 32 concurrent steps queued behind 10 calls (a slow
destination held the other 22 back). The pool is sized to the steps run at once, and a
pooled connection the destination has closed is never used for the next request.
"""

from __future__ import annotations

import asyncio

from app.integrations.outbound_client import send_request
from app.settings import AppSettings, BrokerSettings, OutboundSettings, Settings
from app.worker.broker import Dispatcher, build_broker
from app.worker.runtime import WorkerRuntime
from tests.integrations.conftest import LOOPBACK_ALLOWED


def worker_runtime() -> WorkerRuntime:
    settings = Settings(
        app=AppSettings(env="test"),
        broker=BrokerSettings(url="stub://", worker_threads=4),
        outbound=OutboundSettings(allow_networks=LOOPBACK_ALLOWED.allow_networks),
    )
    broker = build_broker(settings.broker)
    dispatcher = Dispatcher(broker, settings.broker.queue_name)
    return WorkerRuntime(settings, dispatcher, connections=settings.broker.embedded_steps_at_once)


async def test_worker_steps_reach_a_slow_destination_all_at_once() -> None:
    """A destination that answers only once every call has arrived still gets them all."""
    runtime = worker_runtime()
    calls = runtime.outbound_connections
    assert calls == 128  # the embedded loop worker runs 128 steps at once by default
    arrived, everyone_here = 0, asyncio.Event()

    async def answer_when_all_arrived(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal arrived
        await reader.readuntil(b"\r\n\r\n")
        arrived += 1
        if arrived == calls:
            everyone_here.set()
        await everyone_here.wait()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_when_all_arrived, "127.0.0.1", 0, backlog=128)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    sends = [
        send_request(
            runtime.client, runtime.policy, method="GET", url=url, headers=[], content=None
        )
        for _ in range(calls)
    ]
    try:
        async with asyncio.timeout(5):  # with a smaller pool the rest never get through
            answers = await asyncio.gather(*sends)
    finally:
        everyone_here.set()
        await runtime.close()
        server.close()
    assert [answer.status for answer in answers] == [200] * calls


async def test_a_pooled_connection_the_server_closed_is_not_reused() -> None:
    """A destination that closes idle connections: the next call opens a new one and works."""
    connections = 0

    async def answer_once_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")  # keep-alive, then...
        await writer.drain()
        writer.close()  # ...the server drops it anyway, as idle timeouts do

    server = await asyncio.start_server(answer_once_then_close, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    runtime = worker_runtime()
    try:
        for _ in range(3):
            answer = await send_request(
                runtime.client, runtime.policy, method="POST", url=url, headers=[], content=b"{}"
            )
            assert answer.status == 200
            await asyncio.sleep(0.05)  # let the close reach us while the connection is idle
    finally:
        await runtime.close()
        server.close()
        await server.wait_closed()
    assert connections == 3
