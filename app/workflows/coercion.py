"""Reading data values as text, numbers, dates or yes/no the way a non-developer expects.

Webhook data arrives as text ("1,234.50", "2024-05-01 12:30", "yes") as often as typed
values; filters and formatters share these readers so "10" and 10 compare alike and a
date in any common format is understood. Numbers are `Decimal`, dates are aware datetimes.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Literal

from dateutil import parser as date_parser

from app.workflows.exact_json import dump_exact_json

# Timestamps above this (year 5138 in seconds) can only be milliseconds.
_MILLISECONDS_THRESHOLD = 100_000_000_000
_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})
_IGNORED_IN_NUMBERS = frozenset({" ", "\u00a0", "\u202f", "'", "_"})
_MAX_SHOWN = 80

DecimalMark = Literal[".", ","]


class NotConvertible(ValueError):
    """A value cannot be read as the kind asked for; `.message` says which and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(value: object) -> str:
    """A short quoted form of a value for messages ("'abc'", "10.5", "nothing")."""
    if value is None:
        return "nothing (empty)"
    text = as_text(value)
    text = text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
    return text if isinstance(value, int | Decimal | float | bool) else repr(text)


def as_text(value: object) -> str:
    """How a value reads as text: nothing is "", yes/no are true/false, numbers exact."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, dict | list | tuple):
        return dump_exact_json(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def as_number(value: object, *, decimal_mark: DecimalMark = ".") -> Decimal:
    """Read a number from data or text like "$1,234.50" (raises NotConvertible)."""
    if isinstance(value, bool) or value is None:
        raise NotConvertible(f"{shown(value)} is not a number")
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = "".join(
        char
        for char in as_text(value).strip()
        if char not in _IGNORED_IN_NUMBERS and unicodedata.category(char) != "Sc"
    )
    thousands = "," if decimal_mark == "." else "."
    text = text.replace(thousands, "").replace(decimal_mark, ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise NotConvertible(f"{shown(value)} is not a number") from None
    if not number.is_finite():
        raise NotConvertible(f"{shown(value)} is not a number")
    return number


def as_datetime(
    value: object,
    *,
    day_first: bool = False,
    default_zone: tzinfo = UTC,
    now: datetime | None = None,
) -> datetime:
    """Read a moment from a datetime, a Unix timestamp or text in any common date format.

    Text without a time zone is taken to be in `default_zone`; "now" means `now`.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        moment = _from_timestamp(Decimal(str(value)))
    elif isinstance(value, str) and value.strip():
        moment = _from_text(value.strip(), day_first=day_first, now=now)
    else:
        raise NotConvertible(f"{shown(value)} is not a date")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=default_zone)


def _from_text(text: str, *, day_first: bool, now: datetime | None) -> datetime:
    if text.lower() == "now":
        return now or datetime.now(UTC)
    if text.lstrip("-").isdigit():
        return _from_timestamp(Decimal(text))
    try:
        return date_parser.parse(text, dayfirst=day_first)
    except (ValueError, OverflowError):
        raise NotConvertible(
            f"{shown(text)} is not a date Hookline can read "
            "(e.g. 2024-05-01, 1 May 2024 14:30, 2024-05-01T12:30:00Z or a Unix timestamp)"
        ) from None


def _from_timestamp(seconds: Decimal) -> datetime:
    if abs(seconds) >= _MILLISECONDS_THRESHOLD:
        seconds = seconds / 1000
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise NotConvertible(f"{seconds} is not a usable Unix timestamp") from None


def as_bool(value: object) -> bool | None:
    """True or False for yes/no-like values (true, "yes", 1, "off"...); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal | float) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None
