"""Exact JSON: numbers survive a parse/dump round trip digit for digit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.workflows.exact_json import InvalidJson, dump_exact_json, load_exact_json, to_plain_json
from tests.fixtures import FIXTURES


@pytest.mark.parametrize(
    "text",
    [
        '{"amount": 10.0}',
        '{"id": 7615917337495251231}',
        '{"n": 0.1, "m": 1E-7, "k": 1E+2, "neg": -0.0}',
        '{"name": "prénom 🎉", "nested": [1, 2.50, {"x": null, "y": true}]}',
    ],
)
def test_exact_json_round_trip_keeps_every_digit(text: str) -> None:
    assert dump_exact_json(load_exact_json(text)) == text


def test_exact_json_parses_decimals_and_big_ints_exactly() -> None:
    value = load_exact_json(b'{"a": 10.0, "b": 7615917337495251231}')
    assert value == {"a": Decimal("10.0"), "b": 7615917337495251231}
    assert isinstance(value["b"], int)
    assert str(value["a"]) == "10.0"


def test_exact_json_strips_utf8_bom() -> None:
    assert load_exact_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert load_exact_json("\ufeff[1]") == [1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1,}', "line 1, column 9"),
        ('{\n  "a": 1\n  "b": 2\n}', "line 3, column 3"),
        ("", "line 1, column 1"),
        ('{"a": NaN}', "NaN is not allowed"),
        (b"\xff\xfe", "not valid UTF-8"),
    ],
)
def test_exact_json_invalid_text_explains_where(text: str | bytes, expected: str) -> None:
    with pytest.raises(InvalidJson) as caught:
        load_exact_json(text)
    assert expected in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_exact_json_dump_writes_decimals_unquoted_and_keeps_non_ascii() -> None:
    value = {"price": Decimal("10.0"), "when": datetime(2024, 5, 1, 12, tzinfo=UTC), "n": "é"}
    assert dump_exact_json(value) == (
        '{"price": 10.0, "when": "2024-05-01T12:00:00+00:00", "n": "é"}'
    )


def test_exact_json_dump_indents_on_request() -> None:
    assert dump_exact_json({"a": [Decimal("1.50")]}, indent=2) == '{\n  "a": [\n    1.50\n  ]\n}'


def test_exact_json_dump_refuses_values_that_are_not_json() -> None:
    with pytest.raises(TypeError):
        dump_exact_json({"a": object()})
    with pytest.raises(ValueError):
        dump_exact_json(Decimal("NaN"))


def test_plain_json_turns_decimals_into_storable_numbers() -> None:
    value = to_plain_json({"a": Decimal("10.0"), "b": Decimal("1E+2"), "c": [Decimal("3")]})
    assert value == {"a": 10.0, "b": 100, "c": [3]}
    assert isinstance(value["a"], float)
    assert isinstance(value["b"], int)


def test_exact_json_real_stripe_payload_keeps_its_numbers() -> None:
    raw = (FIXTURES / "stripe" / "payment_intent.succeeded.json").read_bytes()
    event = load_exact_json(raw)
    assert event["data"]["object"]["amount"] == 1099
    assert load_exact_json(dump_exact_json(event)) == event
