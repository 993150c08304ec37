"""Trying one step from the editor: its real action against the latest data, nothing recorded.

The step goes through the same action code, outbound client and SSRF policy as in a
run, but no Run or StepAttempt row is written and nothing is enqueued. Control-flow
steps report their decision (filter passed or not, which path, until when a delay would
wait) without waiting. What is shown is the action's own display copy, so secrets are
masked exactly as on a run page, and the step's own secrets are scrubbed from what a
destination echoed back (app/integrations/secret_scrub.py), as in a run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.integrations.base import ActionContext, ActionResult
from app.integrations.outbound_client import build_outbound_client
from app.integrations.registry import UnknownActionType, get_action
from app.integrations.secret_scrub import scrub_result
from app.integrations.validation import validate_step
from app.settings import Settings
from app.store.sealing import secret_values
from app.web.problem_labels import labelled_problems, types_of_definitions
from app.worker.runtime import outbound_policy
from app.workflows.definition import StepDefinition
from app.workflows.engine import template_context

log = logging.getLogger("hookline.web")


@dataclass
class StepTrial:
    """What the editor shows after testing a step."""

    step_number: int
    step_type: str
    result: ActionResult | None = None
    problems: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    # Step types by problem-key address, to name problems in the editor's words.
    types: dict[str, str] = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        """Whether the step was really executed (problems stop it before anything is sent)."""
        return self.result is not None

    @property
    def outcome(self) -> str:
        if not self.ran:
            return "not_run"
        assert self.result is not None
        return self.result.outcome

    def labelled_problems(self) -> list[tuple[str, str]]:
        """The problems as (input label in words, what is wrong)."""
        return labelled_problems(self.problems, self.types)


def plan_position(steps: list[StepDefinition], index: int) -> int:
    """Where the step at `index` of the editor's list sits in a run's plan (`steps[n]`).

    Turned-off steps are left out of runs, so they do not count.
    """
    return sum(1 for step in steps[:index] if step.enabled)


def context_for(trigger: dict[str, Any], earlier_outputs: list[Any]) -> dict[str, Any]:
    """The template data a step sees: the event as `trigger`, earlier outputs as `steps`."""
    return template_context(trigger, earlier_outputs)


async def try_step(
    settings: Settings, step: StepDefinition, context: dict[str, Any], *, number: int
) -> StepTrial:
    """Validate and execute `step` once with `context`; problems are reported, not raised."""
    trial = StepTrial(step_number=number, step_type=step.type)
    trial.types = types_of_definitions([step], first=number - 1)
    problems = validate_step(step)
    if problems:
        trial.problems = {f"steps[{number - 1}].{key}": text for key, text in problems.items()}
        return trial
    try:
        action = get_action(step.type)
        config = action.parse_config(step.config)
    except (UnknownActionType, ValidationError) as exc:  # validate_step said no already
        trial.problems = {"type": str(exc)}
        return trial
    strict = bool(getattr(config, "strict_templates", False))
    policy = outbound_policy(settings)  # the worker's policy: same networks, limits, guard
    async with build_outbound_client(policy) as client:
        ctx = ActionContext(
            template_context=context,
            client=client,
            policy=policy,
            on_missing="error" if strict else "warn",
        )
        started = time.monotonic()
        try:
            result = await action.execute(config, ctx)
            # A destination may echo the request: show it without the step's secrets.
            trial.result = scrub_result(
                result, secrets=secret_values(step.config), config=step.config
            )
        except Exception as exc:  # an action bug must show up here, not as a 500
            log.exception("action crashed while testing a step", extra={"step_type": step.type})
            trial.result = ActionResult(
                outcome="failed",
                request=None,
                response=None,
                output=None,
                error=f"Hookline hit an internal error running this step ({exc!r}).",
                warnings=(),
                duration_ms=int((time.monotonic() - started) * 1000),
            )
    if not step.enabled:
        trial.note = "This step is turned off, so runs skip it; the test ran it anyway."
    return trial
