"""Conditions: "continue only if …" rules used by filters and paths. Pure.

A condition names a value (a template such as `{{ trigger.body.amount }}`), an operator
and, for most operators, a value to compare with (also a template). Each check comes
back with a plain-English explanation, so a run page can say *why* a filter stopped it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field

from app.workflows.coercion import NotConvertible, as_bool, as_datetime, as_number, as_text, shown
from app.workflows.templating import check_template, render_text, render_value

Operator = Literal[
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "exists",
    "not_exists",
    "greater_than",
    "less_than",
    "after",
    "before",
    "matches_regex",
    "is_true",
    "is_false",
]
Match = Literal["all", "any"]
UNARY_OPERATORS = frozenset({"exists", "not_exists", "is_true", "is_false"})
OPERATOR_LABELS: dict[str, str] = {
    "equals": "equals",
    "not_equals": "does not equal",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "exists": "exists",
    "not_exists": "does not exist",
    "greater_than": "is greater than (number)",
    "less_than": "is less than (number)",
    "after": "is after (date)",
    "before": "is before (date)",
    "matches_regex": "matches the pattern (regular expression)",
    "is_true": "is true",
    "is_false": "is false",
}
REGEX_TIMEOUT_SECONDS = 0.2
MAX_REGEX_INPUT = 100_000


class Condition(BaseModel):
    """One rule: a value from the data, an operator and what to compare it with."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1,
        max_length=2000,
        title="Value to check",
        description="Usually one field from the data, e.g. {{ trigger.body.status }}.",
    )
    operator: Operator = Field(title="Condition", description="How to compare the value.")
    value: str = Field(
        default="",
        max_length=2000,
        title="Compare with",
        description="Text, a number, a date or a template; not used by exists/is true/is false.",
    )
    ignore_case: bool = Field(
        default=False,
        title="Ignore upper/lower case",
        description="Treat 'Paid' and 'paid' as the same when comparing text.",
    )


@dataclass(frozen=True)
class ConditionCheck:
    """How one condition came out, explained."""

    passed: bool
    explanation: str
    # The checked value and what it was compared with, as shown to people ("" if unused).
    actual: str = ""
    compared_with: str = ""


@dataclass(frozen=True)
class Verdict:
    """Whether a set of conditions holds, each condition's check, and template warnings."""

    passed: bool
    checks: tuple[ConditionCheck, ...]
    warnings: tuple[str, ...]


class ConditionProblem(ValueError):
    """A condition cannot be checked at all (e.g. a broken pattern); plain English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def describe_condition_problem(condition: Condition) -> dict[str, str]:
    """Problems with a condition before it is saved, keyed by its field name."""
    problems: dict[str, str] = {}
    for name in ("field", "value"):
        problem = check_template(getattr(condition, name))
        if problem is not None:
            problems[name] = problem
    templated = "{" in condition.value
    if condition.operator == "matches_regex" and not templated and "value" not in problems:
        try:
            regex.compile(condition.value)
        except regex.error as exc:
            problems["value"] = f"This is not a valid regular expression ({exc})."
    return problems


def check_conditions(
    conditions: Sequence[Condition], match: Match, context: Mapping[str, Any]
) -> Verdict:
    """Render and check each condition against the data; raises TemplateProblem/ConditionProblem."""
    checks: list[ConditionCheck] = []
    warnings: list[str] = []
    for condition in conditions:
        left = render_value(condition.field, context, on_missing="warn")
        right = render_text(condition.value, context, on_missing="warn")
        if condition.operator not in ("exists", "not_exists"):
            warnings.extend(left.warnings)
        warnings.extend(right.warnings)
        checks.append(compare(condition.operator, left.value, right.value, condition.ignore_case))
    results = [check.passed for check in checks]
    passed = all(results) if match == "all" else any(results)
    return Verdict(passed, tuple(checks), tuple(dict.fromkeys(warnings)))


def compare(operator: Operator, left: Any, right: str, ignore_case: bool = False) -> ConditionCheck:
    """Check `left <operator> right`; explain the outcome either way."""
    rule = _RULES[operator]
    actual = shown(left)
    compared_with = "" if operator in UNARY_OPERATORS else shown(right)
    try:
        passed = rule(left, right, ignore_case)
    except NotConvertible as exc:
        return ConditionCheck(False, f"could not compare: {exc.message}", actual, compared_with)
    label = OPERATOR_LABELS[operator]
    verb = label if passed else f"not ({label})"
    target = f" {compared_with}" if compared_with else ""
    return ConditionCheck(passed, f"{actual} {verb}{target}", actual, compared_with)


def _folded(text: str, ignore_case: bool) -> str:
    return text.casefold() if ignore_case else text


def _equals(left: Any, right: str, ignore_case: bool) -> bool:
    try:
        return as_number(left) == as_number(right)
    except NotConvertible:
        pass
    left_bool, right_bool = as_bool(left), as_bool(right)
    if isinstance(left, bool) and right_bool is not None:
        return left_bool == right_bool
    return _folded(as_text(left), ignore_case) == _folded(right, ignore_case)


def _contains(left: Any, right: str, ignore_case: bool) -> bool:
    if isinstance(left, list | tuple):
        return any(_equals(item, right, ignore_case) for item in left)
    if isinstance(left, dict):
        return any(_folded(str(key), ignore_case) == _folded(right, ignore_case) for key in left)
    return _folded(right, ignore_case) in _folded(as_text(left), ignore_case)


def _exists(left: Any, right: str, ignore_case: bool) -> bool:
    return left is not None and as_text(left) != ""


def _matches(left: Any, right: str, ignore_case: bool) -> bool:
    flags = regex.IGNORECASE if ignore_case else 0
    try:
        pattern = regex.compile(right, flags)
    except regex.error as exc:
        raise ConditionProblem(f"{right!r} is not a valid regular expression ({exc})") from exc
    text = as_text(left)[:MAX_REGEX_INPUT]
    try:
        return pattern.search(text, timeout=REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError as exc:
        raise ConditionProblem(f"The pattern {right!r} took too long to check") from exc


def _is_after(left: Any, right: str, ignore_case: bool) -> bool:
    return as_datetime(left) > as_datetime(right)


def _is_before(left: Any, right: str, ignore_case: bool) -> bool:
    return as_datetime(left) < as_datetime(right)


_RULES: dict[str, Callable[[Any, str, bool], bool]] = {
    "equals": _equals,
    "not_equals": lambda left, right, ic: not _equals(left, right, ic),
    "contains": _contains,
    "not_contains": lambda left, right, ic: not _contains(left, right, ic),
    "starts_with": lambda left, right, ic: _folded(as_text(left), ic).startswith(
        _folded(right, ic)
    ),
    "exists": _exists,
    "not_exists": lambda left, right, ic: not _exists(left, right, ic),
    "greater_than": lambda left, right, ic: as_number(left) > as_number(right),
    "less_than": lambda left, right, ic: as_number(left) < as_number(right),
    "after": _is_after,
    "before": _is_before,
    "matches_regex": _matches,
    "is_true": lambda left, right, ic: as_bool(left) is True,
    "is_false": lambda left, right, ic: as_bool(left) is False,
}
