"""What the run page says about each step attempt beyond its raw request and response:
its heading (the step's name and plain type label) and, for a filter that stopped the
run, which conditions did not hold and with which values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.store.tables import StepAttempt
from app.web.step_summaries import step_title
from app.workflows.exact_json import InvalidJson, load_exact_json


@dataclass(frozen=True)
class UnmetCondition:
    """One filter condition that did not hold, as the run recorded it."""

    field: str
    operator: str
    compared_with: str
    actual: str
    explanation: str


def attempt_title(plan: Sequence[dict[str, Any]], attempt: StepAttempt) -> str:
    """ "Tell #sales · Slack message": the planned step's name and type in words."""
    planned = plan[attempt.step_index] if 0 <= attempt.step_index < len(plan) else {}
    name = planned.get("name") if planned.get("type") == attempt.step_type else None
    return step_title(attempt.step_type, name if isinstance(name, str) else None)


def unmet_conditions(attempt: StepAttempt) -> list[UnmetCondition]:
    """The conditions of a filter attempt that did not hold (empty for anything else)."""
    if attempt.step_type != "filter" or not attempt.output_json:
        return []
    try:
        output = load_exact_json(attempt.output_json)
    except InvalidJson:
        return []
    verdict = output.get("filter") if isinstance(output, dict) else None
    if not isinstance(verdict, dict) or verdict.get("passed") is not False:
        return []
    return [
        UnmetCondition(
            field=str(check.get("field", "")),
            operator=str(check.get("operator", "")),
            compared_with=str(check.get("compared_with", "")),
            actual=str(check.get("actual", "")),
            explanation=str(check.get("explanation", "")),
        )
        for check in verdict.get("conditions") or []
        if isinstance(check, dict) and check.get("passed") is False
    ]
