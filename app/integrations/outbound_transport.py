"""The outbound client's transport: httpx requests carried by aiohttp, through the SSRF guard.

httpx stays our client API (requests, responses, timeouts, redirects hop by hop); only
the transport underneath is aiohttp's connection pool, which costs a fraction of
httpcore's CPU per call. This module owns the mapping of aiohttp's errors to httpx's,
and that mapping decides whether a failed request may have reached the destination:

- before the request could leave (DNS, refused, connect timeout, TLS handshake, pool
  wait, blocked address): `httpx.ConnectError` / `httpx.ConnectTimeout`;
- once a connection was handed to the request (write errors, reset or close while
  waiting or reading, read timeout, broken answer): `ReadError`, `WriteError`,
  `ReadTimeout`, `RemoteProtocolError`, all "maybe delivered".

aiohttp resends GET/PUT/DELETE once by itself when a connection breaks; the
`_never_resend` middleware turns that off, because the worker decides about resends.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from aiohttp.client_middlewares import ClientHandlerType
from yarl import URL

from app.integrations.ssrf_guard import (
    GuardedResolver,
    OutboundPolicy,
    guarded_socket,
)

# Idle connections are dropped after this long: most servers close theirs after 5-75 s,
# and reusing one the server has just closed costs a failed request.
KEEPALIVE_SECONDS = 5.0
# aiohttp warns above 1 MiB of raw bytes (written in one go); larger bodies go in slices.
_WHOLE_BODY_BYTES = 1024 * 1024


class _LostAfterSending(Exception):
    """A connection broke after the request was handed to it (hides it from aiohttp's retry)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def _never_resend(
    request: aiohttp.ClientRequest, handler: ClientHandlerType
) -> aiohttp.ClientResponse:
    """Let no connection failure after connecting reach aiohttp's automatic resend."""
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
        raise _LostAfterSending(exc) from exc


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an aiohttp session whose connector applies the guard."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 10,
    ) -> None:
        """`ssl_context` defaults to certifi's CAs; tests pass one trusting a test CA.

        `max_connections` should be the number of calls the process makes at once; more
        calls wait for a free connection (bounded by the pool + connect timeouts).
        """
        self._policy = policy
        self._ssl = ssl_context or httpx.create_ssl_context(verify=True, trust_env=False)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    def _open_session(self) -> aiohttp.ClientSession:
        """Made on first use: aiohttp's connector belongs to the running event loop."""
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,
            keepalive_timeout=KEEPALIVE_SECONDS,
            ssl=self._ssl,
            resolver=GuardedResolver(self._policy),
            socket_factory=guarded_socket(self._policy),
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # httpx decodes, so the body cap counts decoded bytes
            trust_env=False,
            middlewares=(_never_resend,),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{request.url.scheme}://'.",
                request=request,
            )
        session = self._session or self._open_session()
        self._session = session
        body = await request.aread()
        headers = [(name.decode(), value.decode()) for name, value in request.headers.raw]
        try:
            answer = await session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=headers,
                data=_as_payload(body),
                allow_redirects=False,
                timeout=self._timeout_for(request.extensions.get("timeout") or {}),
            )
        except (aiohttp.ClientError, _LostAfterSending) as exc:
            raise as_httpx_error(exc, request) from underlying_error(exc)
        version = answer.version
        return httpx.Response(
            status_code=answer.status,
            headers=answer.raw_headers,
            stream=_AnswerBody(answer, request),
            request=request,
            extensions={
                "http_version": f"HTTP/{version.major}.{version.minor}".encode()
                if version
                else b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode("latin-1", "replace"),
            },
        )

    def _timeout_for(self, limits: dict[str, float | None]) -> aiohttp.ClientTimeout:
        """httpx's connect/read/pool timeouts as aiohttp's (one object per distinct set).

        aiohttp's `connect` covers waiting for a pool slot plus connecting, so it gets
        both budgets; `sock_connect` is each connection attempt; `sock_read` runs from
        the moment the request is handed to the connection, so it bounds writing too.
        """
        key = (limits.get("connect"), limits.get("read"), limits.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            connect, read, pool = key
            whole = None if connect is None or pool is None else connect + pool
            timeout = aiohttp.ClientTimeout(
                total=None, connect=whole, sock_connect=connect, sock_read=read
            )
            self._timeouts[key] = timeout
        return timeout

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _as_payload(body: bytes) -> bytes | AsyncIterator[bytes] | None:
    """Small bodies as bytes; large ones in slices, as aiohttp asks (httpx set the length)."""
    if len(body) <= _WHOLE_BODY_BYTES:
        return body or None
    return _slices(body)


async def _slices(body: bytes) -> AsyncIterator[bytes]:
    view = memoryview(body)
    for start in range(0, len(view), _WHOLE_BODY_BYTES):
        yield bytes(view[start : start + _WHOLE_BODY_BYTES])


class _AnswerBody(httpx.AsyncByteStream):
    """The response body as httpx reads it; closing early drops the connection."""

    def __init__(self, answer: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request
        self._complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._answer.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, _LostAfterSending) as exc:
            raise as_httpx_error(exc, self._request) from underlying_error(exc)
        self._complete = True

    async def aclose(self) -> None:
        if self._complete:
            self._answer.release()  # fully read: the connection goes back to the pool
        else:
            self._answer.close()  # unread bytes would corrupt the next request on it


def as_httpx_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx error for an aiohttp failure; connect-phase classes mean "not sent"."""
    if isinstance(exc, _LostAfterSending):
        exc = exc.cause
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ServerFingerprintMismatch):
        return httpx.ConnectError(str(underlying_error(exc)) or message, request=request)
    if isinstance(exc, aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, aiohttp.InvalidURL):  # e.g. a host like 2130706433 or 127.1
        return httpx.ConnectError(
            "the address is not a valid host name or IP address (write an IP address as "
            "four numbers, e.g. 203.0.113.7)",
            request=request,
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return httpx.ReadError(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectionResetError):
        return httpx.WriteError(message, request=request)
    return httpx.ReadError(message, request=request)  # any other failure: maybe delivered


def underlying_error(exc: BaseException) -> BaseException:
    """The OS or TLS error aiohttp wrapped (so messages can name it), else `exc` itself."""
    if isinstance(exc, _LostAfterSending):
        return exc.cause
    wrapped = getattr(exc, "certificate_error", None) or getattr(exc, "os_error", None)
    return wrapped if isinstance(wrapped, BaseException) else exc
