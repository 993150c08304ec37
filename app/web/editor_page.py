"""The workflow editor page: its context, and the steps from a submitted form to a page.

Controllers (the workflow pages, and the "test this step" tool) use `editor_secrets` +
`checked_definition` to turn the editor's form into a validated definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.store.tables import Workflow
from app.web.controllers.api_workflows import check_definition
from app.web.errors import InvalidInput
from app.web.forms import WorkflowForm, draft_definition, hide_typed_secrets, show_problems
from app.web.problem_labels import describe_problem_key, types_of_forms
from app.web.secrets import SecretBox, ref_mask
from app.web.step_forms import conditions, formatter, http_request
from app.web.step_forms.delay import UNITS
from app.web.step_forms.email import TLS_MODES
from app.web.step_forms.model import StepForm, error_element_id
from app.web.step_forms.registry import StepChoice, find_form, step_choices, step_label
from app.web.step_forms.steps import is_placed
from app.web.trigger_form import trigger_form_choices, trigger_from_form
from app.workflows.definition import WorkflowDefinition

CHOICES: dict[str, Any] = {
    "methods": http_request.METHODS,
    "body_modes": http_request.BODY_MODES,
    "auth_presets": http_request.AUTH_PRESETS,
    "tls_modes": TLS_MODES,
    "delay_units": [(unit, unit) for unit in UNITS],
    "operators": conditions.operator_choices(),
    "unary_operators": conditions.unary_operators(),
    "format_operations": formatter.OPERATIONS,
}

# Problem keys of the "How it starts" card, in the words of its inputs' labels.
START_LABELS = {
    "trigger.": "",
    "trigger.kind": "run this workflow",
    "trigger.schedule": "schedule",
    "trigger.schedule.every": "how often",
    "trigger.schedule.interval_minutes": "minutes between runs",
    "trigger.schedule.minute": "minutes past the hour",
    "trigger.schedule.time": "time of day",
    "trigger.schedule.weekday": "day",
    "trigger.schedule.cron": "cron expression",
    "trigger.schedule.timezone": "time zone",
}


@dataclass
class EditorPage:
    form: WorkflowForm
    errors: dict[str, str] = field(default_factory=dict)
    workflow: Workflow | None = None
    hook_url: str | None = None
    trigger_choices: dict[str, Any] = field(default_factory=trigger_form_choices)
    focus: str | None = None
    # A submitted form shown again (after an editing action or a problem) is not saved yet.
    unsaved: bool = False
    # The latest saved version, when the form was made from an older one (nothing saved).
    conflict_version: int | None = None
    choices: dict[str, Any] = field(default_factory=lambda: CHOICES)

    def step_template(self, step: StepForm) -> str:
        kind = find_form(step.type)
        return kind.template if kind else "steps/unknown.html"

    def label(self, type_name: str) -> str:
        return step_label(type_name)

    def step_choices(self, *, nested: bool = False) -> list[StepChoice]:
        return step_choices(nested=nested)

    def unplaced(self, step: StepForm) -> list[tuple[str, str]]:
        """The card's problems that no input shows (shown at the top of the card)."""
        return step.unplaced_errors(lambda key: is_placed(step, key))

    def mask(self, step: StepForm, path: str) -> str:
        ref = step.keep.get(path)
        return ref_mask(ref) if ref else ""

    def kept_headers(self, step: StepForm) -> list[str]:
        """The config paths (`headers.Authorization`) of credential headers kept saved."""
        return [path for path in step.keep if path.startswith("headers.")]

    def error_id(self, key: str) -> str:
        return error_element_id(key)

    def describe_key(self, key: str) -> str:
        """A problem key in words: `steps[1].config.branches.0.steps.2.config.url` ->
        "Step 2, path 1, step 3: url"."""
        if key == "name":
            return "Workflow name"
        if key in START_LABELS or key.startswith("trigger.schedule."):
            label = START_LABELS.get(key, key.rpartition(".")[2])
            return f"How it starts: {label}" if label else "How it starts"
        if key.startswith("trigger"):
            return "Incoming requests: " + key.removeprefix("trigger.").replace("_", " ")
        in_words = describe_problem_key(key, types_of_forms(self.form.steps))
        if in_words is not None:
            return in_words
        words = re.sub(r"^steps\[(\d+)\]", lambda m: f"Step {int(m[1]) + 1}", key)
        words = re.sub(r"\.config\.branches\.(\d+)", lambda m: f", path {int(m[1]) + 1}", words)
        words = re.sub(r"\.config\.fallback", ", fallback path", words)
        words = re.sub(r"\.steps\.(\d+)", lambda m: f", step {int(m[1]) + 1}", words)
        words = re.sub(r"\.conditions\.(\d+)", lambda m: f", condition {int(m[1]) + 1}", words)
        head, _, tail = words.partition(".config.")
        if not tail:
            head, _, tail = words.partition(".")
        return f"{head}: {tail.replace('_', ' ')}" if tail else head

    def ops_using(self, option: str) -> str:
        return formatter.ops_using(option)


def checked_definition(
    form: WorkflowForm, stored_trigger: dict[str, Any] | None, secrets: SecretBox
) -> tuple[WorkflowDefinition | None, dict[str, str]]:
    """Validate the form like the API would; `stored_trigger` (opened) fills blank secrets.

    Problems found while reading the inputs win over the API's for the same field: they
    name what was typed (a bad header line) rather than what it turned into."""
    draft, problems = draft_definition(form, secrets)
    trigger, trigger_problems = trigger_from_form(form.trigger, stored_trigger)
    problems |= trigger_problems
    if draft is None:
        return None, problems
    try:
        definition = check_definition(draft.model_copy(update={"trigger": trigger}))
    except InvalidInput as exc:
        return None, {**exc.problems, **problems}
    return (None, problems) if problems else (definition, {})


def reshown(
    form: WorkflowForm, secrets: SecretBox, errors: dict[str, str] | None = None
) -> WorkflowForm:
    """The submitted form ready to show again: typed secrets hidden, problems placed."""
    hide_typed_secrets(form, secrets)
    show_problems(form, errors or {})
    return form
