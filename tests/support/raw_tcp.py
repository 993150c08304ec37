"""A raw TCP server on loopback for answers no HTTP server library would send."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def tcp_server(handler: Handler) -> AsyncIterator[str]:
    """A raw TCP server on 127.0.0.1 running `handler` per connection; yields its URL.

    On exit, handlers still running are cancelled and their connections closed.
    """
    running: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        running.add(task)  # type: ignore[arg-type]
        await handler(reader, writer)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/in"
    finally:
        server.close()
        for task in running:
            task.cancel()
        for writer in writers:
            writer.close()
        await asyncio.gather(*running, return_exceptions=True)
        await server.wait_closed()
