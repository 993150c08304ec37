"""Formatter operations: reshaping one value (text, number, date or JSON). Pure.

`FormatSpec` says which operation to apply and with which options; `apply_format` applies
it to an already-rendered value. Numbers stay exact (`Decimal`); dates come out as ISO
8601 text unless a format is given. Every failure is a `FormatProblem` in plain English.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, DivisionByZero, InvalidOperation
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.workflows.coercion import DecimalMark, NotConvertible, as_datetime, as_number, as_text
from app.workflows.exact_json import InvalidJson, load_exact_json
from app.workflows.value_paths import PathProblem, pick_path

Operation = Literal[
    "text_upper",
    "text_lower",
    "text_title",
    "text_trim",
    "text_replace",
    "text_split",
    "text_truncate",
    "text_default",
    "text_url_encode",
    "number_parse",
    "number_round",
    "number_format",
    "number_math",
    "date_parse",
    "date_timezone",
    "date_format",
    "date_add",
    "json_parse",
    "json_pick",
]
DateUnit = Literal["seconds", "minutes", "hours", "days", "weeks", "months", "years"]
Thousands = Literal[",", ".", " ", "'", ""]
MAX_TEXT = 1_000_000
MAX_DECIMALS = 20

_NEEDS: dict[str, tuple[str, ...]] = {
    "text_replace": ("find",),
    "text_split": ("separator",),
    "text_truncate": ("length",),
    "number_math": ("math", "operand"),
    "date_timezone": ("timezone",),
    "date_format": ("date_format",),
    "date_add": ("amount",),
    "json_pick": ("path",),
}


class FormatProblem(ValueError):
    """The value cannot be formatted this way; `.message` is plain English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FormatSpec(BaseModel):
    """Which operation to apply, and its options (each operation uses only a few)."""

    model_config = ConfigDict(extra="forbid")

    operation: Operation = Field(title="Operation", description="What to do with the value.")
    find: str | None = Field(default=None, title="Find", description="Text to replace.")
    replace_with: str = Field(default="", title="Replace with")
    separator: str | None = Field(
        default=None, title="Separator", description="Split the text wherever this appears."
    )
    index: int | None = Field(
        default=None,
        title="Item to keep",
        description="After splitting: 0 is the first item, -1 the last; empty keeps them all.",
    )
    length: int | None = Field(default=None, ge=0, le=MAX_TEXT, title="Maximum length")
    ellipsis: bool = Field(default=False, title="End shortened text with …")
    default_value: str = Field(default="", title="Default value", description="Used when empty.")
    decimal_mark: DecimalMark = Field(
        default=".",
        title="Decimal mark",
        description="'.' for 1,234.50; ',' for 1.234,50. Read from the value, except "
        "number_format, which writes it (and reads the value with '.').",
    )
    decimals: int = Field(default=2, ge=0, le=MAX_DECIMALS, title="Decimal places")
    thousands: Thousands = Field(default=",", title="Thousands separator")
    math: Literal["add", "subtract", "multiply", "divide"] | None = Field(
        default=None, title="Calculation"
    )
    operand: str | None = Field(default=None, title="Number to use", description="May be a field.")
    timezone: str | None = Field(
        default=None, title="Time zone", description="A name like Europe/Paris or UTC."
    )
    from_timezone: str = Field(
        default="UTC",
        title="Time zone of dates without one",
        description="How to read a date like '2024-05-01 09:00' that names no time zone.",
    )
    day_first: bool = Field(default=False, title="Dates are written day first (31/12/2024)")
    date_format: str | None = Field(
        default=None,
        max_length=200,
        title="Date format",
        description="strftime codes, e.g. %Y-%m-%d %H:%M or %d %B %Y.",
    )
    amount: int | None = Field(default=None, title="Amount", description="Negative subtracts.")
    unit: DateUnit = Field(default="days", title="Unit")
    path: str | None = Field(
        default=None, max_length=1000, title="Path", description="e.g. data.items[0].id"
    )

    @field_validator("timezone", "from_timezone")
    @classmethod
    def _zone_exists(cls, name: str | None) -> str | None:
        if name is not None:
            zone_named(name)
        return name

    @model_validator(mode="after")
    def _options_present(self) -> FormatSpec:
        missing = [name for name in _NEEDS.get(self.operation, ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"The {self.operation} operation needs: {', '.join(missing)}.")
        if self.operation == "text_split" and self.separator == "":
            raise ValueError("The separator cannot be empty.")
        if self.operation == "text_replace" and self.find == "":
            raise ValueError("The text to find cannot be empty.")
        return self


def zone_named(name: str) -> ZoneInfo:
    """The time zone called `name` (raises ValueError in plain English)."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise ValueError(
            f"{name!r} is not a time zone Hookline knows (use a name like Europe/Paris or UTC)."
        ) from None


def apply_format(spec: FormatSpec, value: Any, operand: Any = None) -> Any:
    """Apply `spec` to `value`; `operand` is the rendered number for arithmetic."""
    try:
        return _OPERATIONS[spec.operation](spec, value, operand)
    except NotConvertible as exc:
        raise FormatProblem(exc.message) from exc
    except PathProblem as exc:
        raise FormatProblem(exc.message) from exc


def _text(value: Any) -> str:
    text = as_text(value)
    if len(text) > MAX_TEXT:
        raise FormatProblem("The text is over the 1,000,000 character limit.")
    return text


def _split(spec: FormatSpec, value: Any, _operand: Any) -> Any:
    parts = _text(value).split(spec.separator)
    if spec.index is None:
        return parts
    if not -len(parts) <= spec.index < len(parts):
        raise FormatProblem(f"There is no item {spec.index}: the text split into {len(parts)}.")
    return parts[spec.index]


def _truncate(spec: FormatSpec, value: Any, _operand: Any) -> str:
    text, limit = _text(value), spec.length or 0
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…" if spec.ellipsis and limit else text[:limit]


def _default(spec: FormatSpec, value: Any, _operand: Any) -> Any:
    return spec.default_value if value is None or _text(value).strip() == "" else value


def _round(spec: FormatSpec, value: Any, _operand: Any) -> Decimal:
    number = as_number(value, decimal_mark=spec.decimal_mark)
    return number.quantize(Decimal(1).scaleb(-spec.decimals), rounding=ROUND_HALF_UP)


def _format_number(spec: FormatSpec, value: Any, _operand: Any) -> str:
    rounded = _round(spec.model_copy(update={"decimal_mark": "."}), value, None)
    text = f"{rounded:,.{spec.decimals}f}"
    return text.replace(",", "\0").replace(".", spec.decimal_mark).replace("\0", spec.thousands)


def _math(spec: FormatSpec, value: Any, operand: Any) -> Decimal:
    left = as_number(value, decimal_mark=spec.decimal_mark)
    right = as_number(operand, decimal_mark=spec.decimal_mark)
    try:
        if spec.math == "add":
            return left + right
        if spec.math == "subtract":
            return left - right
        if spec.math == "multiply":
            return left * right
        return left / right
    except (DivisionByZero, InvalidOperation):
        raise FormatProblem(f"Cannot divide {as_text(left)} by {as_text(right)}.") from None


def _moment(spec: FormatSpec, value: Any) -> datetime:
    zone = zone_named(spec.from_timezone)
    return as_datetime(value, day_first=spec.day_first, default_zone=zone)


def _in_zone(spec: FormatSpec, moment: datetime) -> datetime:
    return moment.astimezone(zone_named(spec.timezone)) if spec.timezone else moment


def _date_format(spec: FormatSpec, value: Any, _operand: Any) -> str:
    return _in_zone(spec, _moment(spec, value)).strftime(spec.date_format or "%Y-%m-%d")


def _date_add(spec: FormatSpec, value: Any, _operand: Any) -> str:
    moment = _moment(spec, value)
    try:
        moved = moment + relativedelta(**{spec.unit: spec.amount or 0})  # type: ignore[arg-type]
    except (OverflowError, ValueError):
        raise FormatProblem("The resulting date is out of range.") from None
    return _in_zone(spec, moved).isoformat()


def _json_parse(spec: FormatSpec, value: Any, _operand: Any) -> Any:
    if not isinstance(value, str):
        return value  # already structured data
    try:
        return load_exact_json(value)
    except InvalidJson as exc:
        raise FormatProblem(f"The text is not valid JSON: {exc.message}") from exc


def _json_pick(spec: FormatSpec, value: Any, _operand: Any) -> Any:
    return pick_path(_json_parse(spec, value, None), spec.path or "")


_OPERATIONS: dict[str, Callable[[FormatSpec, Any, Any], Any]] = {
    "text_upper": lambda spec, value, _: _text(value).upper(),
    "text_lower": lambda spec, value, _: _text(value).lower(),
    "text_title": lambda spec, value, _: _text(value).title(),
    "text_trim": lambda spec, value, _: _text(value).strip(),
    "text_replace": lambda spec, value, _: _text(value).replace(spec.find or "", spec.replace_with),
    "text_split": _split,
    "text_truncate": _truncate,
    "text_default": _default,
    "text_url_encode": lambda spec, value, _: quote(_text(value), safe=""),
    "number_parse": lambda spec, value, _: as_number(value, decimal_mark=spec.decimal_mark),
    "number_round": _round,
    "number_format": _format_number,
    "number_math": _math,
    "date_parse": lambda spec, value, _: _in_zone(spec, _moment(spec, value)).isoformat(),
    "date_timezone": lambda spec, value, _: _in_zone(spec, _moment(spec, value)).isoformat(),
    "date_format": _date_format,
    "date_add": _date_add,
    "json_parse": _json_parse,
    "json_pick": _json_pick,
}
