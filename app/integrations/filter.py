"""The "Only continue if…" filter action: stops the run (as "filtered") unless conditions hold.

Output (`steps[i].filter`): `passed` (true/false), `match` ("all"/"any"), `summary`
(one sentence) and `conditions`, a list of `{passed, explanation, field, operator,
compared_with, actual}` in the order given: the field as typed, the operator in words,
and the two values as they were compared (so a run page can show why it stopped).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.integrations.base import ActionContext, ActionResult, ActionType, Outcome
from app.integrations.step_results import failed, finished
from app.workflows.conditions import (
    OPERATOR_LABELS,
    Condition,
    ConditionCheck,
    ConditionProblem,
    Match,
    Verdict,
    check_conditions,
    describe_condition_problem,
)
from app.workflows.templating import TemplateProblem

MAX_CONDITIONS = 20

HELP = """\
Only lets the run continue when the data matches your conditions, for example \
"{{ trigger.body.type }} equals payment_intent.succeeded" or \
"{{ trigger.body.data.object.amount }} is greater than 1000". Choose whether all \
conditions must hold or any one is enough.

When the conditions do not hold, the run stops here and is marked "filtered" (not \
"failed"): nothing after this step runs and nothing is retried. Text comparisons are exact \
unless you tick "ignore case"; "greater than" and "less than" compare numbers, "after" and \
"before" compare dates written in any common format. A value that is missing or empty \
"does not exist"."""


class FilterConfig(BaseModel):
    """What the user fills in for a filter step."""

    model_config = ConfigDict(extra="forbid")

    match: Match = Field(
        default="all",
        title="Continue when",
        description="'all': every condition must hold; 'any': one is enough.",
    )
    conditions: list[Condition] = Field(
        min_length=1,
        max_length=MAX_CONDITIONS,
        title="Conditions",
        description="The rules the data must meet for the run to go on.",
    )


def condition_problems(conditions: list[Condition], prefix: str) -> dict[str, str]:
    """Save-time problems in a list of conditions, keyed like `conditions.0.value`."""
    problems: dict[str, str] = {}
    for index, condition in enumerate(conditions):
        for name, problem in describe_condition_problem(condition).items():
            problems[f"{prefix}.{index}.{name}"] = problem
    return problems


def verdict_output(
    verdict: Verdict, match: Match, conditions: Sequence[Condition] = ()
) -> dict[str, Any]:
    """The shape later steps (and the run page) see for a set of checked conditions."""
    failing = [check.explanation for check in verdict.checks if not check.passed]
    passing = [check.explanation for check in verdict.checks if check.passed]
    given: list[Condition | None] = [*conditions] or [None] * len(verdict.checks)
    if verdict.passed:
        summary = "Conditions met: " + "; ".join(passing)
    else:
        summary = "Conditions not met: " + "; ".join(failing)
    return {
        "passed": verdict.passed,
        "match": match,
        "summary": summary,
        "conditions": [
            _check_output(check, condition)
            for check, condition in zip(verdict.checks, given, strict=False)
        ],
    }


def _check_output(check: ConditionCheck, condition: Condition | None) -> dict[str, Any]:
    shown: dict[str, Any] = {"passed": check.passed, "explanation": check.explanation}
    if condition is not None:
        shown["field"] = condition.field
        shown["operator"] = OPERATOR_LABELS[condition.operator]
        shown["compared_with"] = check.compared_with
        shown["actual"] = check.actual
    return shown


class FilterAction(ActionType[FilterConfig]):
    """Built-in action: continue only if conditions hold."""

    type_name = "filter"
    title = "Only continue if…"
    help = HELP
    config_model = FilterConfig

    def validate_templates(self, config: FilterConfig) -> dict[str, str]:
        return condition_problems(config.conditions, "conditions")

    async def execute(self, config: FilterConfig, ctx: ActionContext) -> ActionResult:
        started = time.monotonic()
        try:
            verdict = check_conditions(config.conditions, config.match, ctx.template_context)
        except (TemplateProblem, ConditionProblem) as exc:
            return failed(f"The filter could not be checked: {exc.message}", started)
        output = {"filter": verdict_output(verdict, config.match, config.conditions)}
        outcome: Outcome = "succeeded" if verdict.passed else "filtered"
        return finished(outcome, output, started, verdict.warnings)
