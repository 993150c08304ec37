"""JSON that keeps numbers exactly as the sender wrote them.

Webhook payloads carry amounts like `10.0` and ids like `7615917337495251231`; a
float round trip would turn them into `10` or `7615917337495251000`. Parsing keeps
decimals as `Decimal` and integers as `int`; dumping writes them back digit for digit.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import simplejson


class InvalidJson(ValueError):
    """Text that is not JSON; the message says where, in plain English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _reject_constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not allowed in JSON (only real numbers are)")


def load_exact_json(data: bytes | str) -> Any:
    """Parse JSON text, keeping decimals as `Decimal` and integers exact."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidJson(f"The text is not valid UTF-8 (byte {exc.start})") from exc
    else:
        text = data.removeprefix("\ufeff")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"Not valid JSON: {exc.msg.lower()} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise InvalidJson("Not valid JSON: it is nested too deeply") from exc
    except InvalidJson:
        raise
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise InvalidJson(f"Not valid JSON: {exc}") from exc


def _encode_extra(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} value cannot be written as JSON")


def dump_exact_json(value: Any, *, indent: int | None = None) -> str:
    """Write JSON with decimals digit for digit (`Decimal('10.0')` -> `10.0`), non-ASCII kept."""
    return simplejson.dumps(
        value,
        use_decimal=True,
        ensure_ascii=False,
        allow_nan=False,
        indent=indent,
        default=_encode_extra,
        namedtuple_as_object=False,
        for_json=False,
    )


def _plain_number(value: Decimal) -> int | float | None:
    if not value.is_finite():
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return float(value)


def to_plain_json(value: Any) -> Any:
    """A copy storable in a JSON column: Decimals become int/float (lossy; previews only)."""
    if isinstance(value, Decimal):
        return _plain_number(value)
    if isinstance(value, dict):
        return {str(key): to_plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain_json(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
