"""The outbound connection pool: aiohttp through the SSRF guard, and what its failures mean.

Every outbound call is one `OutboundPool.exchange`: aiohttp's pool (its connector
applies the guard to every connection, redirects included), no cookies, no proxy from
the environment, the answer's body read up to a cap. httpx's client used to sit on
top; calling aiohttp directly halves the CPU of a call (bench/README.md, fifth pass).

This module also decides, for each aiohttp failure, whether the request may have
reached the destination (`OutboundError.maybe_delivered`):

- before the request could leave (DNS, refused, connect timeout, TLS handshake, pool
  wait, blocked address, bad address): not sent, always safe to try again;
- once a connection was handed to the request (write errors, reset or close while
  waiting or reading, read timeout, broken answer): maybe delivered.

aiohttp resends GET/PUT/DELETE once by itself when a connection breaks; the `_Hops`
middleware turns that off, because the worker decides about resends. Once any hop was
answered (a redirect), every later failure counts as maybe delivered.
"""

from __future__ import annotations

import io
import ssl
from dataclasses import dataclass

import aiohttp
import certifi
from aiohttp.client_middlewares import ClientHandlerType
from yarl import URL

from app.integrations.outbound_failures import (
    LostAfterSending,
    OutboundError,
    failure_of,
    underlying_error,
)
from app.integrations.ssrf_guard import GuardedResolver, OutboundPolicy, guarded_socket

# Idle connections are dropped after this long: most servers close theirs after 5-75 s,
# and reusing one the server has just closed costs a failed request.
KEEPALIVE_SECONDS = 5.0
# aiohttp warns above 1 MiB of raw bytes (written in one go); larger bodies go as a file.
_WHOLE_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """What came back: status, headers (names in lower case), the capped body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool
    final_url: str
    redirects: int = 0  # hops that answered with a redirect before this answer


class _Hops:
    """aiohttp middleware for one exchange: runs once per hop (redirects included).

    It keeps every connection failure after connecting from aiohttp's automatic resend,
    and remembers which host the latest hop went to and how many hops were answered:
    once one was, the request has reached a destination, so a later failure (a
    redirect to a host that refuses, a redirect loop) means "maybe delivered".
    """

    def __init__(self, host: str) -> None:
        self.host = host
        self.answered = 0

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: ClientHandlerType
    ) -> aiohttp.ClientResponse:
        self.host = host_name(request.url) or self.host
        try:
            response = await handler(request)
        except aiohttp.ClientConnectorError:
            raise
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
            raise LostAfterSending(exc) from exc
        self.answered += 1
        return response


class OutboundPool:
    """One aiohttp session whose connector applies the guard; made on first use."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 10,
    ) -> None:
        """`ssl_context` defaults to certifi's CAs; tests pass one trusting a test CA.

        `max_connections` should be the number of calls the process makes at once; more
        calls wait for a free connection (bounded by the connect timeout).
        """
        self._policy = policy
        self._ssl = ssl_context or ssl.create_default_context(cafile=certifi.where())
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float, float], aiohttp.ClientTimeout] = {}

    def _open_session(self) -> aiohttp.ClientSession:
        """aiohttp's connector belongs to the running event loop, so it is made in it."""
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
            headers={"User-Agent": self._policy.user_agent},
            trust_env=False,
        )

    async def exchange(
        self,
        policy: OutboundPolicy,
        *,
        method: str,
        url: URL,
        headers: list[tuple[str, str]],
        content: bytes | None,
    ) -> Answer:
        """Send one request, follow redirects (each hop guarded), read the capped body.

        Raises `OutboundError` (plain English, see `outbound_failures`) or `BlockedDestination`.
        """
        session = self._session or self._open_session()
        self._session = session
        hops = _Hops(host_name(url) or "the destination")
        try:
            answer = await session.request(
                method,
                url,
                headers=headers,
                data=_as_payload(content),
                max_redirects=policy.max_redirects,
                timeout=self._timeout_for(policy),
                middlewares=(hops,),
            )
            complete = False
            try:
                body, truncated = await _read_capped(answer, policy.max_response_bytes)
                complete = not truncated
            finally:
                if complete:
                    answer.release()  # fully read: the connection goes back to the pool
                else:
                    answer.close()  # unread bytes would corrupt the next request on it
        except aiohttp.TooManyRedirects as exc:
            raise OutboundError(
                f"The destination redirected more than {policy.max_redirects} times, "
                "so Hookline stopped.",
                maybe_delivered=True,  # the first hop got the request
            ) from exc
        except (aiohttp.ClientError, LostAfterSending) as exc:
            failure = failure_of(exc, hops.host, policy)
            if hops.answered:  # an earlier hop answered (a redirect): it got the request
                failure = OutboundError(failure.message, maybe_delivered=True)
            raise failure from underlying_error(exc)
        headers_back = [
            (name.decode("latin-1").lower(), _header_text(value))
            for name, value in answer.raw_headers
        ]
        redirects = max(hops.answered - 1, 0)
        return Answer(answer.status, headers_back, body, truncated, str(answer.url), redirects)

    def _timeout_for(self, policy: OutboundPolicy) -> aiohttp.ClientTimeout:
        """The policy's connect and read limits as aiohttp's (one object per distinct pair).

        aiohttp's `connect` covers waiting for a pool slot plus connecting, so it gets
        both budgets; `sock_connect` is each connection attempt; `sock_read` runs from
        the moment the request is handed to the connection, so it bounds writing too.
        """
        key = (policy.connect_timeout, policy.read_timeout)
        timeout = self._timeouts.get(key)
        if timeout is None:
            connect, read = key
            timeout = aiohttp.ClientTimeout(
                total=None, connect=2 * connect, sock_connect=connect, sock_read=read
            )
            self._timeouts[key] = timeout
        return timeout

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def host_name(url: URL) -> str | None:
    """The host as people write it (IDNA decoded), or as sent when it cannot be decoded."""
    try:
        return url.host
    except UnicodeError:  # e.g. "xn--": not a name any resolver accepts
        return url.raw_host


def _header_text(raw: bytes) -> str:
    """A header value as text: UTF-8 when it is, else Latin-1 (HTTP's old default)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _as_payload(content: bytes | None) -> bytes | io.BytesIO | None:
    """Small bodies as bytes; large ones as a file object, as aiohttp asks."""
    if not content:
        return None
    return content if len(content) <= _WHOLE_BODY_BYTES else io.BytesIO(content)


async def _read_capped(answer: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """Read at most `limit` decoded bytes; say whether more was left unread."""
    collected = bytearray()
    async for chunk in answer.content.iter_any():
        collected.extend(chunk)
        if len(collected) > limit:
            return bytes(collected[:limit]), True
    return bytes(collected), False
