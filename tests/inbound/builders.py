"""Building InboundRequest values for inbound tests, the way the web edge would."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from app.inbound.request import InboundRequest

RECEIVED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_request(
    body: bytes | str = b"",
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    *,
    method: str = "POST",
    url: str = "https://hooks.example.com/hooks/tok123",
) -> InboundRequest:
    """A request as received: exact body bytes, ordered headers, the URL split up."""
    parts = urlsplit(url)
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    return InboundRequest(
        method=method,
        url=url,
        path=parts.path,
        raw_query=parts.query,
        headers=tuple(pairs),
        body=body.encode() if isinstance(body, str) else body,
        received_at=RECEIVED_AT,
    )
