"""Formatter operations on text, numbers, dates and JSON, table-driven."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from app.workflows.formatting import FormatProblem, FormatSpec, apply_format
from app.workflows.value_paths import PathProblem, pick_path

CASES: list[tuple[dict[str, Any], Any, Any, Any]] = [
    # (spec options, input, operand, expected)
    ({"operation": "text_upper"}, "café au lait", None, "CAFÉ AU LAIT"),
    ({"operation": "text_lower"}, "Ada LOVELACE", None, "ada lovelace"),
    ({"operation": "text_title"}, "ada lovelace", None, "Ada Lovelace"),
    ({"operation": "text_trim"}, "  padded \n", None, "padded"),
    ({"operation": "text_replace", "find": "-", "replace_with": " "}, "a-b-c", None, "a b c"),
    ({"operation": "text_split", "separator": ","}, "a,b,c", None, ["a", "b", "c"]),
    (
        {"operation": "text_split", "separator": " ", "index": -1},
        "Ada King Lovelace",
        None,
        "Lovelace",
    ),
    ({"operation": "text_truncate", "length": 5}, "Hello world", None, "Hello"),
    ({"operation": "text_truncate", "length": 6, "ellipsis": True}, "Hello world", None, "Hello…"),
    ({"operation": "text_truncate", "length": 50}, "short", None, "short"),
    ({"operation": "text_default", "default_value": "n/a"}, "", None, "n/a"),
    ({"operation": "text_default", "default_value": "n/a"}, None, None, "n/a"),
    ({"operation": "text_default", "default_value": "n/a"}, "set", None, "set"),
    ({"operation": "text_url_encode"}, "a b&c=d/é", None, "a%20b%26c%3Dd%2F%C3%A9"),
    ({"operation": "text_upper"}, Decimal("10.50"), None, "10.50"),
    ({"operation": "number_parse"}, "$1,234.50", None, Decimal("1234.50")),
    ({"operation": "number_parse", "decimal_mark": ","}, "1.234,50 €", None, Decimal("1234.50")),
    ({"operation": "number_parse"}, 7615917337495251231, None, Decimal(7615917337495251231)),
    ({"operation": "number_round", "decimals": 1}, "2.25", None, Decimal("2.3")),
    ({"operation": "number_round", "decimals": 0}, Decimal("2.5"), None, Decimal("3")),
    ({"operation": "number_format"}, 1234567.891, None, "1,234,567.89"),
    (
        {"operation": "number_format", "decimal_mark": ",", "thousands": "."},
        "1234.5",
        None,
        "1.234,50",
    ),
    ({"operation": "number_format", "thousands": "", "decimals": 0}, 1234.4, None, "1234"),
    ({"operation": "number_math", "math": "add", "operand": "x"}, "0.1", "0.2", Decimal("0.3")),
    ({"operation": "number_math", "math": "subtract", "operand": "x"}, 10, 2.5, Decimal("7.5")),
    (
        {"operation": "number_math", "math": "multiply", "operand": "x"},
        2000,
        "0.01",
        Decimal("20.00"),
    ),
    ({"operation": "number_math", "math": "divide", "operand": "x"}, 2000, 100, Decimal("20")),
    ({"operation": "date_parse"}, "May 1, 2024 2:30 PM", None, "2024-05-01T14:30:00+00:00"),
    (
        {"operation": "date_parse", "day_first": True},
        "02/03/2024",
        None,
        "2024-03-02T00:00:00+00:00",
    ),
    ({"operation": "date_parse"}, 1714564800, None, "2024-05-01T12:00:00+00:00"),
    ({"operation": "date_parse"}, "1714564800000", None, "2024-05-01T12:00:00+00:00"),
    (
        {"operation": "date_parse", "from_timezone": "Europe/Paris"},
        "2024-05-01 09:00",
        None,
        "2024-05-01T09:00:00+02:00",
    ),
    (
        {"operation": "date_timezone", "timezone": "America/New_York"},
        "2024-01-15T12:00:00Z",
        None,
        "2024-01-15T07:00:00-05:00",
    ),
    (
        {"operation": "date_format", "date_format": "%d %B %Y %H:%M", "timezone": "Asia/Tokyo"},
        "2024-05-01T20:00:00Z",
        None,
        "02 May 2024 05:00",
    ),
    (
        {"operation": "date_add", "amount": 1, "unit": "months"},
        "2024-01-31",
        None,
        "2024-02-29T00:00:00+00:00",
    ),
    (
        {"operation": "date_add", "amount": -90, "unit": "minutes"},
        "2024-05-01T01:00:00Z",
        None,
        "2024-04-30T23:30:00+00:00",
    ),
    ({"operation": "json_parse"}, '{"a": [1, 2.50]}', None, {"a": [1, Decimal("2.50")]}),
    (
        {"operation": "json_pick", "path": "data.items[1].id"},
        '{"data": {"items": [{"id": 1}, {"id": 2}]}}',
        None,
        2,
    ),
    (
        {"operation": "json_pick", "path": 'meta["x-trace.id"]'},
        {"meta": {"x-trace.id": "t1"}},
        None,
        "t1",
    ),
    ({"operation": "json_pick", "path": "$.list[-1]"}, {"list": ["a", "z"]}, None, "z"),
]


@pytest.mark.parametrize(("options", "value", "operand", "expected"), CASES)
def test_format_operation_produces_expected_value(
    options: dict[str, Any], value: Any, operand: Any, expected: Any
) -> None:
    result = apply_format(FormatSpec.model_validate(options), value, operand)

    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("options", "value", "operand", "message"),
    [
        ({"operation": "number_parse"}, "twelve", None, "'twelve' is not a number"),
        (
            {"operation": "number_math", "math": "divide", "operand": "x"},
            1,
            0,
            "Cannot divide 1 by 0",
        ),
        ({"operation": "date_parse"}, "not a date at all", None, "is not a date Hookline can read"),
        ({"operation": "json_parse"}, "{oops", None, "not valid JSON"),
        (
            {"operation": "json_pick", "path": "data.nope"},
            {"data": {"id": 1}},
            None,
            "its keys are: id",
        ),
        ({"operation": "text_split", "separator": ",", "index": 5}, "a,b", None, "no item 5"),
    ],
)
def test_format_problem_says_what_went_wrong(
    options: dict[str, Any], value: Any, operand: Any, message: str
) -> None:
    with pytest.raises(FormatProblem) as problem:
        apply_format(FormatSpec.model_validate(options), value, operand)

    assert message in problem.value.message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"operation": "text_replace"}, "needs: find"),
        ({"operation": "number_math", "operand": "1"}, "needs: math"),
        ({"operation": "date_timezone", "timezone": "Mars/Olympus"}, "not a time zone"),
        ({"operation": "text_split", "separator": ""}, "cannot be empty"),
    ],
)
def test_spec_missing_or_wrong_options_is_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FormatSpec.model_validate(options)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("a.b", 1), ("a['c d']", 2), ('a["é"]', 3), ("list[0].k", "v"), ("a.0", "zero")],
)
def test_pick_path_reads_keys_with_odd_characters(path: str, expected: Any) -> None:
    data = {"a": {"b": 1, "c d": 2, "é": 3, "0": "zero"}, "list": [{"k": "v"}]}

    assert pick_path(data, path) == expected


def test_pick_path_rejects_malformed_path() -> None:
    with pytest.raises(PathProblem, match="cannot be read"):
        pick_path({}, "a[")
