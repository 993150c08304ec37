"""Network streams that answer httpcore's "has the server closed this?" question cheaply.

Before every request and after every response, httpcore's pool asks each idle pooled
connection whether its socket is readable (a server that closed it leaves an EOF to
read). Through anyio that is a dict of attribute getters built per call, a fresh
`select.poll` object and a registration, for every idle connection each time: the
pass-2 profile found it to be a large share of an outbound call. `QuickReadBackend`
wraps the network backend (outside the SSRF guard, which still picks the address) and
keeps each stream's socket and one registered poll object, so the answer is one
`poll(0)` call: the same check, done once per question, not rebuilt.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore


class QuickReadStream(httpcore.AsyncNetworkStream):
    """Delegates everything to the wrapped stream except the readability check."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")
        self._poll: Any = None
        if self._socket is not None and hasattr(select, "poll"):
            self._poll = select.poll()
            self._poll.register(self._socket.fileno(), select.POLLIN)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return QuickReadStream(tls)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._poll is not None and self._socket is not None:
            if self._socket.fileno() < 0:  # closed: the next read would return b""
                return True
            return bool(self._poll.poll(0))
        return self._inner.get_extra_info(info)


class QuickReadBackend(httpcore.AsyncNetworkBackend):
    """Wraps every stream the inner backend opens in a `QuickReadStream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return QuickReadStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )
        return QuickReadStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
