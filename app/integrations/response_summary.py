"""Turning an outbound exchange into an ActionResult: what to show, and what later steps see.

Display copies are trimmed to RESPONSE_PREVIEW_BYTES and hide secret header values; the
step output keeps the answer's JSON exactly (decimals digit for digit) when it parses.
"""

from __future__ import annotations

import codecs
import email.utils
import re
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
        "url": without_password(url),
        "headers": [(name, _shown_value(name, value)) for name, value in headers],
        "body": None if body is None else preview,
        "body_truncated": truncated,
    }


def without_password(url: str) -> str:
    """`url` with the password of a user:password@host part hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{HIDDEN}@{host}"))


_PASSWORD_LOOSELY = re.compile(r"(://[^:/@\s]*):\S*@")


def without_any_password(text: str) -> str:
    """`without_password` for text that may not parse as a URL (a template that rendered
    badly): everything from `scheme://user:` to the last `@` is hidden, erring on the
    side of hiding."""
    precise = without_password(text)
    if precise != text:
        return precise
    return _PASSWORD_LOOSELY.sub(lambda found: f"{found[1]}:{HIDDEN}@", text, count=1)


def summarize_response(
    response: OutboundResponse, request: dict[str, Any], warnings: tuple[str, ...]
) -> ActionResult:
    """Succeeded on 2xx; otherwise failed, saying what the destination answered."""
    headers = _by_name(response.headers)
    charset = _charset(headers.get("content-type"))
    preview, preview_cut = _preview(response.body, charset)
    reason = _reason_phrase(response.status)
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


def _by_name(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Header values by lower-case name; a repeated header's values joined by ", "."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a code with no registered name, e.g. 299 or 600
        return ""


def _output(response: OutboundResponse, headers: dict[str, str], charset: str) -> dict[str, Any]:
    """What later steps see as steps[i].response: status, headers by lower name, body."""
    return {
        "status": response.status,
        "headers": headers,
        "body": _parsed_body(response, headers.get("content-type"), charset),
    }


def _parsed_body(response: OutboundResponse, content_type: str | None, charset: str) -> Any:
    text = _decoded(response.body, charset, final=True)
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
        codec = codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    # Only codecs from bytes to text: the destination picks the name, and names like
    # "zlib" or "base64" are byte transforms (a decompression bomb, or a crash).
    return codec.name if codec._is_text_encoding else "utf-8"


def _preview(body: bytes, charset: str) -> tuple[str, bool]:
    """Decode at most RESPONSE_PREVIEW_BYTES, never ending in half a character."""
    cut = len(body) > RESPONSE_PREVIEW_BYTES
    return _decoded(body[:RESPONSE_PREVIEW_BYTES], charset, final=not cut), cut


def _decoded(body: bytes, charset: str, *, final: bool) -> str:
    """The text in `charset`, or as UTF-8 (bad bytes replaced) when that codec fails.

    Some text codecs cannot replace bad bytes ("idna", "punycode") or never decode
    ("undefined"); the answer is still shown rather than failing the step.
    """
    try:
        decoder = codecs.getincrementaldecoder(charset)(errors="replace")
        return str(decoder.decode(body, final=final))
    except ValueError:  # UnicodeError included
        return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(body, final=final)
