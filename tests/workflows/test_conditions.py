"""Filter and path conditions: every operator on real-shaped data, table-driven."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.workflows.conditions import (
    Condition,
    ConditionProblem,
    check_conditions,
    compare,
    describe_condition_problem,
)

CONTEXT: dict[str, Any] = {
    "trigger": {
        "body": {
            "type": "payment_intent.succeeded",
            "amount": 2000,
            "price": Decimal("10.50"),
            "amount_text": "1,250.75",
            "status": "Paid",
            "tags": ["vip", "eu"],
            "meta": {"plan": "pro"},
            "created": "2024-05-01T12:30:00Z",
            "empty": "",
            "nothing": None,
            "live": True,
            "flag_text": "no",
            "email": "ada@example.com",
        }
    },
    "steps": [],
}

CASES = [
    # (field, operator, value, ignore_case, expected)
    ("{{ trigger.body.type }}", "equals", "payment_intent.succeeded", False, True),
    ("{{ trigger.body.status }}", "equals", "paid", False, False),
    ("{{ trigger.body.status }}", "equals", "paid", True, True),
    ("{{ trigger.body.amount }}", "equals", "2000.00", False, True),
    ("{{ trigger.body.price }}", "equals", "10.5", False, True),
    ("{{ trigger.body.live }}", "equals", "true", False, True),
    ("{{ trigger.body.type }}", "not_equals", "charge.failed", False, True),
    ("{{ trigger.body.amount }}", "not_equals", "2000", False, False),
    ("{{ trigger.body.type }}", "contains", "succeeded", False, True),
    ("{{ trigger.body.type }}", "contains", "SUCCEEDED", True, True),
    ("{{ trigger.body.tags }}", "contains", "vip", False, True),
    ("{{ trigger.body.tags }}", "contains", "v", False, False),
    ("{{ trigger.body.meta }}", "contains", "plan", False, True),
    ("{{ trigger.body.tags }}", "not_contains", "us", False, True),
    ("{{ trigger.body.type }}", "starts_with", "payment_intent.", False, True),
    ("{{ trigger.body.type }}", "starts_with", "charge.", False, False),
    ("{{ trigger.body.type }}", "exists", "", False, True),
    ("{{ trigger.body.empty }}", "exists", "", False, False),
    ("{{ trigger.body.nothing }}", "exists", "", False, False),
    ("{{ trigger.body.missing }}", "exists", "", False, False),
    ("{{ trigger.body.missing }}", "not_exists", "", False, True),
    ("{{ trigger.body.amount }}", "not_exists", "", False, False),
    ("{{ trigger.body.amount }}", "greater_than", "1000", False, True),
    ("{{ trigger.body.amount }}", "greater_than", "2000", False, False),
    ("{{ trigger.body.amount_text }}", "greater_than", "1250.70", False, True),
    ("{{ trigger.body.price }}", "less_than", "10.51", False, True),
    ("{{ trigger.body.type }}", "greater_than", "5", False, False),
    ("{{ trigger.body.created }}", "after", "2024-04-30", False, True),
    ("{{ trigger.body.created }}", "after", "1 May 2024 13:00 UTC", False, False),
    ("{{ trigger.body.created }}", "before", "1714570000", False, True),
    ("{{ trigger.body.email }}", "matches_regex", r"^[^@]+@example\.com$", False, True),
    ("{{ trigger.body.email }}", "matches_regex", r"^ADA@", False, False),
    ("{{ trigger.body.email }}", "matches_regex", r"^ADA@", True, True),
    ("{{ trigger.body.live }}", "is_true", "", False, True),
    ("{{ trigger.body.flag_text }}", "is_false", "", False, True),
    ("{{ trigger.body.flag_text }}", "is_true", "", False, False),
    ("{{ trigger.body.type }}", "is_false", "", False, False),
    ("{{ trigger.body.meta.plan }}-{{ trigger.body.amount }}", "equals", "pro-2000", False, True),
    ("{{ trigger.body.status }}", "equals", "{{ trigger.body.status }}", False, True),
]


@pytest.mark.parametrize(("field", "operator", "value", "ignore_case", "expected"), CASES)
def test_condition_operator_decides_like_a_person_would(
    field: str, operator: str, value: str, ignore_case: bool, expected: bool
) -> None:
    condition = Condition(field=field, operator=operator, value=value, ignore_case=ignore_case)

    verdict = check_conditions([condition], "all", CONTEXT)

    assert verdict.passed is expected, verdict.checks[0].explanation


@pytest.mark.parametrize(
    ("match", "results", "expected"),
    [
        ("all", (True, True), True),
        ("all", (True, False), False),
        ("any", (False, True), True),
        ("any", (False, False), False),
    ],
)
def test_match_all_or_any_combines_conditions(
    match: str, results: tuple[bool, bool], expected: bool
) -> None:
    conditions = [
        Condition(field="{{ trigger.body.amount }}", operator="exists" if ok else "not_exists")
        for ok in results
    ]

    assert check_conditions(conditions, match, CONTEXT).passed is expected


def test_failed_check_explains_the_values_compared() -> None:
    condition = Condition(field="{{ trigger.body.amount }}", operator="greater_than", value="5000")

    [check] = check_conditions([condition], "all", CONTEXT).checks

    assert check.explanation == "2000 not (is greater than (number)) '5000'"


def test_comparing_text_as_a_number_says_why_it_failed() -> None:
    check = compare("greater_than", "soon", "5")

    assert not check.passed
    assert "'soon' is not a number" in check.explanation


def test_missing_field_warns_except_for_existence_checks() -> None:
    equals = Condition(field="{{ trigger.body.missing }}", operator="equals", value="x")
    exists = Condition(field="{{ trigger.body.missing }}", operator="exists")

    assert check_conditions([exists], "all", CONTEXT).warnings == ()
    [warning] = check_conditions([equals], "all", CONTEXT).warnings
    assert warning.startswith("trigger.body.missing is missing")


def test_invalid_regex_is_reported_before_saving_and_when_run() -> None:
    condition = Condition(field="{{ trigger.body.email }}", operator="matches_regex", value="(")

    assert "not a valid regular expression" in describe_condition_problem(condition)["value"]
    with pytest.raises(ConditionProblem):
        check_conditions([condition], "all", CONTEXT)


def test_catastrophic_regex_is_stopped_by_the_time_limit() -> None:
    with pytest.raises(ConditionProblem, match="too long"):
        compare("matches_regex", "x" * 5000, r"(x+x+)+y")


def test_broken_template_is_reported_before_saving() -> None:
    condition = Condition(field="{{ trigger.body.type", operator="exists")

    assert "field" in describe_condition_problem(condition)
