"""The sandbox user templates render in: data-first lookups, path tracking, size caps.

A private `ImmutableSandboxedEnvironment` (never the page environment): a key named
`items` in the data wins over the dict method, every value fetched is traced for
missing-value messages, and operators that could build huge values are capped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NoReturn

from jinja2 import Undefined
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.workflows.exact_json import dump_exact_json
from app.workflows.template_filters import HOOKLINE_FILTERS, check_format_width
from app.workflows.template_missing import MissingValue, found, missing_value
from app.workflows.template_problems import TemplateProblem, TemplateTooLarge

MAX_OUTPUT_BYTES = 1024 * 1024
_MAX_POWER = 1000


def _aligned(left: Any, right: Any) -> tuple[Any, Any]:
    """Let a Decimal from the data meet a float literal like `1.5` without a TypeError."""
    if isinstance(left, Decimal) and isinstance(right, float):
        return left, Decimal(str(right))
    if isinstance(left, float) and isinstance(right, Decimal):
        return Decimal(str(left)), right
    return left, right


def _check_binop_size(operator: str, left: Any, right: Any) -> None:
    power = right if isinstance(right, int | Decimal) else 0
    if operator == "**" and not -_MAX_POWER <= power <= _MAX_POWER:
        raise TemplateTooLarge(f"The power {right} is too large (at most {_MAX_POWER})")
    if operator == "%" and isinstance(left, str):
        check_format_width(left)
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            big = isinstance(seq, str | list | tuple) and isinstance(times, int)
            if big and len(seq) * times > MAX_OUTPUT_BYTES:
                raise TemplateTooLarge("Repeating that text would exceed the 1 MiB limit")


def _text_of(value: Any) -> Any:
    """How a value appears in rendered text (jinja's `finalize`)."""
    if isinstance(value, Undefined):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        fits = isinstance(exponent, int) and abs(exponent) <= 100
        return format(value, "f") if fits else str(value)
    if isinstance(value, dict | list | tuple):
        return dump_exact_json(value)
    if callable(value):  # e.g. `body.items` when the data has no "items" key
        raise TemplateProblem(
            "This prints a built-in function, not a value: the data has no key by that name "
            "(names like items, keys or values are functions unless the data has that key)"
        )
    return value


class _UserTemplateEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with data-first lookups (a key named `items` wins) and path tracking."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Undefined):
            return obj
        if isinstance(obj, Mapping) and attribute in obj:
            return found(obj, attribute, obj[attribute])
        value = super().getattr(obj, attribute)
        return missing_value(obj, attribute) if isinstance(value, Undefined) else value

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Undefined):
            return obj
        try:
            if isinstance(obj, Mapping) and argument in obj:
                return found(obj, argument, obj[argument])
            if isinstance(obj, list | tuple) and type(argument) is int:
                return found(obj, argument, obj[argument])
        except (TypeError, IndexError):
            return missing_value(obj, argument)
        value = super().getitem(obj, argument)
        return missing_value(obj, argument) if isinstance(value, Undefined) else value

    def unsafe_undefined(self, obj: Any, attribute: str) -> NoReturn:
        raise SecurityError(
            f"{attribute!r} of a {type(obj).__name__} value is not available in templates"
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        text = getattr(value, "__self__", None)
        if isinstance(text, str):
            check_format_width(text)
        return super().wrap_str_format(value)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop_size(operator, left, right)
        left, right = _aligned(left, right)
        return super().call_binop(context, operator, left, right)


SANDBOX = _UserTemplateEnvironment(autoescape=False, finalize=_text_of, undefined=MissingValue)
SANDBOX.filters.update(HOOKLINE_FILTERS)
del SANDBOX.globals["lipsum"]  # generates text on demand: a CPU and size sink, no use here
