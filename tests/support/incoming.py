"""An inbound JSON request as the store records it, for tests that insert events directly."""

from __future__ import annotations

from datetime import datetime

from app.store.events import IncomingEvent
from app.store.tables import utcnow


def json_incoming(
    body: bytes = b"{}",
    *,
    dedupe_key: str | None = None,
    received_at: datetime | None = None,
    path: str = "/hooks/x",
) -> IncomingEvent:
    """A POST of `body` as application/json, received now unless told otherwise."""
    return IncomingEvent(
        method="POST",
        path=path,
        query_string="",
        headers=[["content-type", "application/json"]],
        content_type="application/json",
        body=body,
        body_kind="json",
        parsed_json=body.decode(),
        dedupe_key=dedupe_key,
        warnings=[],
        received_at=received_at or utcnow(),
    )
