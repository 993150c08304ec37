"""The filters Hookline adds to (or swaps into) user templates: tojson, fromjson, date.

Filters raise `ValueError` with a plain-English message; the renderer turns it into a
`TemplateProblem` that names the template line. A missing value passes through
`date`/`fromjson` untouched so the renderer still reports it by its path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Undefined
from jinja2.filters import do_format, do_indent

from app.workflows.exact_json import InvalidJson, dump_exact_json, load_exact_json

# Timestamps above this (year 5138 in seconds) can only be milliseconds.
_MILLISECONDS_THRESHOLD = 100_000_000_000
_NUMERIC_TEXT = re.compile(r"-?\d+(\.\d+)?")
_MAX_PADDING = 10_000
# A width/precision of 5+ digits ("%099999d", "{:>99999}") would build a huge string.
_WIDE_PERCENT = re.compile(r"%[-#0 +]*(\d{5,}|\d*\.\d{5,})")
_WIDE_BRACES = re.compile(r"\{[^{}]*:[^{}]*\d{5,}[^{}]*\}")


def to_json(value: Any, indent: int | None = None) -> str:
    """JSON text with exact numbers and no HTML escaping; a missing value becomes `null`."""
    if isinstance(value, Undefined):
        str(value)  # lets the renderer record (or raise) the missing path
        return "null"
    try:
        return dump_exact_json(value, indent=indent)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"tojson could not write this value as JSON: {exc}") from exc


def from_json(value: Any) -> Any:
    """Parse text as JSON (exact numbers), e.g. a JSON string inside a form field."""
    if isinstance(value, Undefined):
        return value
    if not isinstance(value, str | bytes):
        return value  # already structured data: nothing to parse
    try:
        return load_exact_json(value)
    except InvalidJson as exc:
        raise ValueError(f"fromjson: {exc.message}") from exc


def _from_timestamp(seconds: Decimal) -> datetime:
    if abs(seconds) >= _MILLISECONDS_THRESHOLD:
        seconds = seconds / 1000
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"date: {seconds} is not a usable timestamp") from exc


def _parse_moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        moment = _from_timestamp(Decimal(str(value)))
    elif isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value.strip()):
        moment = _from_timestamp(Decimal(value.strip()))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(
                f"date: could not read {value[:60]!r} as a date "
                "(expected e.g. 2024-05-01T12:30:00Z or a Unix timestamp)"
            ) from exc
    else:
        raise ValueError(f"date: a {type(value).__name__} value is not a date")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_date(value: Any, format: str = "%Y-%m-%d", tz: str | None = None) -> Any:
    """Format an ISO date string or Unix timestamp with strftime, optionally in a time zone."""
    if isinstance(value, Undefined) or value is None or value == "":
        return value
    moment = _parse_moment(value)
    if tz is not None:
        try:
            moment = moment.astimezone(ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"date: unknown time zone {tz!r} (use a name like 'Europe/Paris' or 'UTC')"
            ) from exc
    return moment.strftime(format)


def check_format_width(pattern: str) -> None:
    """Refuse `%`/`str.format` patterns whose width would exhaust memory."""
    if _WIDE_PERCENT.search(pattern) or _WIDE_BRACES.search(pattern):
        raise ValueError(f"format: a width or precision of {_MAX_PADDING} or more is too large")


def format_text(value: Any, *args: Any, **kwargs: Any) -> str:
    """Jinja's `format`, with the width guard."""
    check_format_width(str(value))
    return do_format(value, *args, **kwargs)


def indent_text(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """Jinja's `indent`, refusing absurd widths."""
    if (isinstance(width, int) and width > _MAX_PADDING) or len(str(width)) > _MAX_PADDING:
        raise ValueError(f"indent: width {width} is too large (at most {_MAX_PADDING})")
    return do_indent(str(value), width, first, blank)


def center_text(value: Any, width: int = 80) -> str:
    """Jinja's `center`, refusing absurd widths that would exhaust memory."""
    if width > _MAX_PADDING:
        raise ValueError(f"center: width {width} is too large (at most {_MAX_PADDING})")
    return str(value).center(width)


HOOKLINE_FILTERS: dict[str, Callable[..., Any]] = {
    "tojson": to_json,
    "fromjson": from_json,
    "date": format_date,
    "center": center_text,
    "format": format_text,
    "indent": indent_text,
}
