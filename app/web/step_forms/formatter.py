"""Editor form of the formatter step: an operation (grouped text / number / date / JSON)
and only the options that operation uses (`USES`; the page hides the others with a
little script, and shows them all without it).
"""

from __future__ import annotations

import re

from app.web.secrets import SecretBox
from app.web.step_forms.base import Config, Problems, StepFormType
from app.web.step_forms.model import StepForm

OPERATIONS: dict[str, dict[str, str]] = {
    "Text": {
        "text_upper": "Upper case",
        "text_lower": "Lower case",
        "text_title": "Title Case",
        "text_trim": "Trim spaces",
        "text_replace": "Replace text",
        "text_split": "Split into a list",
        "text_truncate": "Shorten to a length",
        "text_default": "Use a default when empty",
        "text_url_encode": "URL-encode",
    },
    "Numbers": {
        "number_parse": "Read as a number",
        "number_round": "Round",
        "number_format": "Write with thousands separators",
        "number_math": "Calculate (add, subtract, multiply, divide)",
    },
    "Dates": {
        "date_parse": "Read a date",
        "date_timezone": "Convert to another time zone",
        "date_format": "Write in a format of your choice",
        "date_add": "Add or subtract time",
    },
    "JSON": {"json_parse": "Turn JSON text into data", "json_pick": "Pick one value by path"},
}
_ZONES = ("from_timezone", "day_first", "timezone")
USES: dict[str, tuple[str, ...]] = {
    "text_replace": ("find", "replace_with"),
    "text_split": ("separator", "index"),
    "text_truncate": ("length", "ellipsis"),
    "text_default": ("default_value",),
    "number_parse": ("decimal_mark",),
    "number_round": ("decimals", "decimal_mark"),
    "number_format": ("decimals", "thousands", "decimal_mark"),
    "number_math": ("math", "operand", "decimal_mark"),
    "date_parse": _ZONES,
    "date_timezone": _ZONES,
    "date_format": ("date_format", *_ZONES),
    "date_add": ("amount", "unit", *_ZONES),
    "json_pick": ("path",),
}
_NUMBERS = ("index", "length", "decimals", "amount")
_OPTIONAL = ("find", "separator", "math", "operand", "timezone", "date_format", "path")
_TEXT = (
    "find",
    "replace_with",
    "separator",
    "default_value",
    "decimal_mark",
    "thousands",
    "math",
    "operand",
    "timezone",
    "from_timezone",
    "date_format",
    "unit",
    "path",
)


def ops_using(option: str) -> str:
    """The operations that show an option (space-separated, for the page's script)."""
    return " ".join(op for op, options in USES.items() if option in options)


def _to_config(step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
    problems: Problems = {}
    operation = step.value("operation", "text_trim")
    config: Config = {"input": step.value("input"), "operation": operation}
    for option in USES.get(operation, ()):
        raw = step.values.get(option, "")
        if option in _NUMBERS:
            if raw.strip() and not re.fullmatch(r"\s*-?\d+\s*", raw):
                problems[option] = "Type a whole number, such as 2 or -1."
            elif raw.strip():
                config[option] = int(raw)
        elif option in ("ellipsis", "day_first"):
            config[option] = bool(raw)
        elif option in _OPTIONAL and not raw.strip():
            config[option] = None
        else:
            config[option] = raw
    return config, problems


FORM = StepFormType(
    type_name="formatter",
    template="steps/formatter.html",
    fields=("input", "operation", *_TEXT, *_NUMBERS),
    checks=("ellipsis", "day_first"),
    templated=("input", "operand"),
    defaults={
        "operation": "text_trim",
        "decimal_mark": ".",
        "decimals": "2",
        "thousands": ",",
        "from_timezone": "UTC",
        "unit": "days",
    },
    placed=re.compile("|".join(("input", "operation", *_TEXT, *_NUMBERS, "ellipsis", "day_first"))),
    to_config=_to_config,
)
