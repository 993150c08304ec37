"""The one outbound HTTP client: its factory, and sending a request with our own limits.

Every call Hookline makes to a user's destination goes through `build_outbound_client`
(explicit timeouts, redirects followed with each hop through the SSRF guard, no cookie
memory, aiohttp's pool underneath: see `outbound_transport`) and `send_request` (the
address checked first, a capped body, an overall deadline, and plain-English errors).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from types import TracebackType

from yarl import URL

from app.integrations.outbound_failures import OutboundError, in_seconds
from app.integrations.outbound_transport import OutboundPool
from app.integrations.ssrf_guard import BlockedDestination, OutboundPolicy, check_literal_host

__all__ = [
    "BlockedDestination",
    "OutboundClient",
    "OutboundError",
    "OutboundPolicy",
    "OutboundResponse",
    "build_outbound_client",
    "send_request",
]


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
    redirects: int = 0  # redirects followed before this answer: an earlier address got it


class OutboundClient:
    """The process's outbound connection pool; use it as `async with` or `aclose()` it."""

    def __init__(self, pool: OutboundPool) -> None:
        self.pool = pool

    async def __aenter__(self) -> OutboundClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.pool.aclose()


def build_outbound_client(
    policy: OutboundPolicy,
    *,
    ssl_context: ssl.SSLContext | None = None,
    max_connections: int = 10,
) -> OutboundClient:
    """Build the process's outbound client; pass `ssl_context` only in tests (a test CA).

    `max_connections`: how many calls the process makes at once (its step concurrency).
    """
    pool = OutboundPool(policy, ssl_context=ssl_context, max_connections=max_connections)
    return OutboundClient(pool)


async def send_request(
    client: OutboundClient,
    policy: OutboundPolicy,
    *,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    content: bytes | None,
) -> OutboundResponse:
    """Send one request, following redirects; raise only our own errors."""
    started = time.monotonic()
    address = _web_address(url)
    check_literal_host(address.raw_host or "", policy)
    try:
        async with asyncio.timeout(policy.total_timeout):
            answer = await client.pool.exchange(
                policy, method=method, url=address, headers=headers, content=content
            )
    except TimeoutError as exc:  # the pool raises only OutboundError for its own timeouts
        raise OutboundError(
            f"The destination did not answer within {in_seconds(policy.total_timeout)}.",
            maybe_delivered=True,
        ) from exc
    duration_ms = int((time.monotonic() - started) * 1000)
    return OutboundResponse(
        answer.status,
        answer.headers,
        answer.body,
        answer.truncated,
        duration_ms,
        answer.final_url,
        policy.max_response_bytes,
        answer.redirects,
    )


def _web_address(url: str) -> URL:
    """Parse `url` (percent-encoding what needs it) and insist on http(s) with a host."""
    try:
        address = URL(url)
    except (ValueError, TypeError) as exc:
        raise OutboundError(f"The address {url!r} is not a valid web address.") from exc
    if address.scheme not in ("http", "https"):
        raise OutboundError(
            "Hookline only calls web addresses that start with http:// or https://."
        )
    if not address.raw_host:
        raise OutboundError(f"The address {url!r} is not a valid web address.")
    return address
