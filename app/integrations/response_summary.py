"""Turning an outbound exchange into an ActionResult: what to show, and what later steps see.

Display copies are trimmed to RESPONSE_PREVIEW_BYTES and hide secret header values; the
step output keeps the answer's JSON exactly (decimals digit for digit) when it parses.
"""

from __future__ import annotations

import codecs
import email.utils
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import httpx

from app.integrations.base import RESPONSE_PREVIEW_BYTES, ActionResult
from app.integrations.outbound_client import OutboundResponse
from app.integrations.request_rendering import is_json_type
from app.workflows.exact_json import InvalidJson, load_exact_json
from app.workflows.secret_names import is_secret_header

HIDDEN = "[hidden]"
_RETRYABLE_STATUSES = {408, 425, 429}


def display_request(
    method: str, url: str, headers: list[tuple[str, str]], body: str | None
) -> dict[str, Any]:
    """What was sent, for the run page; secret header values are hidden."""
    preview, truncated = _preview((body or "").encode("utf-8"), "utf-8")
    return {
        "method": method,
        "url": url,
        "headers": [(name, _shown_value(name, value)) for name, value in headers],
        "body": None if body is None else preview,
        "body_truncated": truncated,
    }


def summarize_response(
    response: OutboundResponse, request: dict[str, Any], warnings: tuple[str, ...]
) -> ActionResult:
    """Succeeded on 2xx; otherwise failed, saying what the destination answered."""
    headers = httpx.Headers(response.headers)
    charset = _charset(headers.get("content-type"))
    preview, preview_cut = _preview(response.body, charset)
    reason = httpx.codes.get_reason_phrase(response.status)
    succeeded = 200 <= response.status < 300
    retryable = response.status >= 500 or response.status in _RETRYABLE_STATUSES
    return ActionResult(
        outcome="succeeded" if succeeded else "failed",
        request=request,
        response={
            "status": response.status,
            "reason": reason,
            "headers": response.headers,
            "body": preview,
            "body_truncated": response.truncated or preview_cut,
            "final_url": response.final_url,
        },
        output={"response": _output(response, headers, charset)},
        error=None if succeeded else f"The destination answered {response.status} {reason}".strip(),
        warnings=(*warnings, *_cut_warning(response)),
        duration_ms=response.duration_ms,
        retryable=not succeeded and retryable,
        retry_after_seconds=None if succeeded else parse_retry_after(headers.get("retry-after")),
    )


def _cut_warning(response: OutboundResponse) -> tuple[str, ...]:
    """Say so when the answer was cut at OUTBOUND_MAX_RESPONSE_BYTES (later steps see less)."""
    if not response.truncated:
        return ()
    size = byte_size(response.max_bytes)
    return (f"The answer was larger than {size}; only the first {size} was kept.",)


def byte_size(count: int) -> str:
    """1048576 → "1 MiB", 65536 → "64 KiB", 5000 → "5000 bytes"."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= factor and count % factor == 0:
            return f"{count // factor} {unit}"
    return f"{count} bytes"


def _output(response: OutboundResponse, headers: httpx.Headers, charset: str) -> dict[str, Any]:
    """What later steps see as steps[i].response: status, headers by lower name, body."""
    return {
        "status": response.status,
        "headers": {name.lower(): headers[name] for name in headers},
        "body": _parsed_body(response, headers.get("content-type"), charset),
    }


def _parsed_body(response: OutboundResponse, content_type: str | None, charset: str) -> Any:
    text = response.body.decode(charset, errors="replace")
    if is_json_type(content_type) and not response.truncated and text.strip():
        try:
            return load_exact_json(text)
        except InvalidJson:
            return text
    return text


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _shown_value(name: str, value: str) -> str:
    return HIDDEN if is_secret_header(name) else value


def _charset(content_type: str | None) -> str:
    if not content_type:
        return "utf-8"
    message = Message()
    message["content-type"] = content_type
    charset = message.get_content_charset() or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset


def _preview(body: bytes, charset: str) -> tuple[str, bool]:
    """Decode at most RESPONSE_PREVIEW_BYTES, never ending in half a character."""
    decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    cut = len(body) > RESPONSE_PREVIEW_BYTES
    return decoder.decode(body[:RESPONSE_PREVIEW_BYTES], final=not cut), cut
