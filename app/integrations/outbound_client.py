"""The one outbound HTTP client: its factory, and sending a request with our own limits.

Every call Hookline makes to a user's destination goes through `build_outbound_client`
(explicit timeouts, no automatic redirects, no cookie memory, the SSRF guard at connect
time, aiohttp's pool underneath: see `outbound_transport`) and `send_request` (redirects
followed hop by hop through the guard, a capped body, an overall deadline, and
plain-English errors instead of httpx exceptions).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from app.integrations.outbound_transport import GuardedTransport
from app.integrations.ssrf_guard import (
    BlockedDestination,
    OutboundPolicy,
    UnknownHost,
    check_literal_host,
)

__all__ = [
    "BlockedDestination",
    "GuardedTransport",
    "OutboundClient",
    "OutboundError",
    "OutboundPolicy",
    "OutboundResponse",
    "build_outbound_client",
    "send_request",
]


class OutboundError(Exception):
    """The destination could not be reached or did not answer in time (plain English).

    `maybe_delivered` is True when the request may already have reached the destination
    (the connection broke or timed out after it was sent): sending it again could do the
    same thing twice, so only steps that are safe to repeat are retried then.
    """

    def __init__(self, message: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.maybe_delivered = maybe_delivered


# Failures that happen before a single byte of the request leaves: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class OutboundResponse:
    """What the destination answered, with the body capped at the policy's limit."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool
    duration_ms: int
    final_url: str
    max_bytes: int = 0  # the cap the body was read up to (the policy's max_response_bytes)


class _NoCookies(httpx.Cookies):
    """A cookie store that never keeps nor sends one: the shared client carries no state
    between workflows. Skipping httpx's cookie handling also skips building urllib
    request/response stand-ins for every call (a sixth of a call's CPU)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class OutboundClient(httpx.AsyncClient):
    """httpx's client with a cookie store that stays empty."""

    def __init__(self, **options: Any) -> None:
        self._no_cookies = _NoCookies()
        super().__init__(**options)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("The outbound client keeps no cookies.")


def build_outbound_client(
    policy: OutboundPolicy,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    max_connections: int = 10,
) -> OutboundClient:
    """Build the process's outbound client; pass `transport` only in tests.

    `max_connections`: how many calls the process makes at once (its step concurrency).
    """
    return OutboundClient(
        transport=transport or GuardedTransport(policy, max_connections=max_connections),
        timeout=_timeout_for(policy),
        follow_redirects=False,
        max_redirects=policy.max_redirects,
        headers={"User-Agent": policy.user_agent},
        trust_env=False,
    )


def _timeout_for(policy: OutboundPolicy) -> httpx.Timeout:
    return httpx.Timeout(
        connect=policy.connect_timeout,
        read=policy.read_timeout,
        write=policy.read_timeout,
        pool=policy.connect_timeout,
    )


async def send_request(
    client: httpx.AsyncClient,
    policy: OutboundPolicy,
    *,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    content: bytes | None,
) -> OutboundResponse:
    """Send one request, following redirects ourselves; raise only our own errors."""
    started = time.monotonic()
    try:
        request = client.build_request(
            method, url, headers=headers, content=content, timeout=_timeout_for(policy)
        )
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
        raise OutboundError(f"The address {url!r} is not a valid web address.") from exc
    try:
        async with asyncio.timeout(policy.total_timeout):
            status, response_headers, body, truncated, final_url = await _exchange(
                client, policy, request
            )
    except TimeoutError as exc:
        raise OutboundError(
            f"The destination did not answer within {_seconds(policy.total_timeout)}.",
            maybe_delivered=True,
        ) from exc
    except httpx.HTTPError as exc:
        raise OutboundError(
            describe_http_error(exc, policy), maybe_delivered=not isinstance(exc, _NOT_SENT)
        ) from exc
    duration_ms = int((time.monotonic() - started) * 1000)
    return OutboundResponse(
        status, response_headers, body, truncated, duration_ms, final_url, policy.max_response_bytes
    )


async def _exchange(
    client: httpx.AsyncClient, policy: OutboundPolicy, request: httpx.Request
) -> tuple[int, list[tuple[str, str]], bytes, bool, str]:
    """Follow redirects hop by hop (each through the guard), then read the capped body."""
    for _hop in range(policy.max_redirects + 1):
        check_literal_host(request.url.host, policy)
        response = await client.send(request, stream=True)
        try:
            if response.next_request is None:
                body, truncated = await _read_capped(response, policy.max_response_bytes)
                pairs = [(name, value) for name, value in response.headers.multi_items()]
                return response.status_code, pairs, body, truncated, str(response.url)
            request = response.next_request
        finally:
            await response.aclose()
    raise OutboundError(
        f"The destination redirected more than {policy.max_redirects} times, so Hookline stopped."
    )


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read at most `limit` decoded bytes; say whether more was left unread."""
    collected = bytearray()
    async for chunk in response.aiter_bytes():
        collected.extend(chunk)
        if len(collected) > limit:
            return bytes(collected[:limit]), True
    return bytes(collected), False


def describe_http_error(exc: httpx.HTTPError, policy: OutboundPolicy) -> str:
    """Turn an httpx error into one plain-English sentence."""
    host = _host_of(exc)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return f"Could not connect to {host} within {_seconds(policy.connect_timeout)}."
    if isinstance(exc, httpx.TimeoutException):
        return f"The destination did not answer within {_seconds(policy.read_timeout)}."
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "Hookline only calls web addresses that start with http:// or https://."
    if isinstance(exc, httpx.ConnectError):
        return f"Could not connect to {host}: {_connect_failure_reason(exc)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} closed the connection or sent an answer that is not valid HTTP."
    if isinstance(exc, httpx.DecodingError):
        return f"{host} sent a compressed answer that could not be decoded."
    if isinstance(exc, httpx.TooManyRedirects):
        return f"The destination redirected more than {policy.max_redirects} times."
    reason = str(exc) or " / ".join(str(cause) or type(cause).__name__ for cause in _causes(exc))
    return f"The request to {host} failed: {reason or type(exc).__name__}."


def _connect_failure_reason(exc: BaseException) -> str:
    """Find the underlying OS or TLS error and name it the way a user would."""
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(cause, socket.gaierror | UnknownHost):
            return "the name could not be found (check the spelling of the address)"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its TLS certificate could not be verified ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return "the secure (TLS) connection could not be set up"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    return str(exc) or "the connection failed"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _host_of(exc: httpx.HTTPError) -> str:
    try:
        return exc.request.url.host or "the destination"
    except RuntimeError:
        return "the destination"


def _seconds(value: float) -> str:
    shown = f"{value:g}"
    return f"{shown} second" if shown == "1" else f"{shown} seconds"
