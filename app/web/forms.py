"""Reading the workflow editor's form into a `WorkflowDefinition`, and back for display.

Steps arrive as `steps-<n>-<field>` inputs (a paths step's own steps as
`steps-<n>-branches-<b>-steps-<m>-<field>`); each step type reads its inputs with its
module in app/web/step_forms. Problems are keyed like the API's (`steps[0].config.url`)
so the editor can show each next to its input.

Reusable from other controllers (the "test this step" tool): `read_workflow_form`, then
`to_definition(form, secrets)` with `secrets` from `app.web.secrets.editor_secrets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.web.secrets import NoSecrets, SecretBox
from app.web.step_forms.http_request import parse_header_lines
from app.web.step_forms.model import BranchForm, ConditionForm, StepForm
from app.web.step_forms.steps import (
    place_errors,
    protect_steps,
    read_steps,
    steps_from_definitions,
    steps_to_definitions,
)
from app.web.trigger_form import TriggerForm, read_trigger_form
from app.workflows.definition import WorkflowDefinition

__all__ = [
    "BranchForm",
    "ConditionForm",
    "StepForm",
    "WorkflowForm",
    "draft_definition",
    "form_from_definition",
    "parse_header_lines",
    "read_workflow_form",
    "to_definition",
]


@dataclass
class WorkflowForm:
    name: str = ""
    enabled: bool = True
    steps: list[StepForm] = field(default_factory=list)
    trigger: TriggerForm = field(default_factory=TriggerForm)
    # The saved version the editor was opened from (None: a new workflow, or a client
    # that does not say, whose save is not checked).
    version: int | None = None


def read_workflow_form(form: Any) -> WorkflowForm:
    """Build the editor state from submitted form data (a multidict)."""
    version = str(form.get("version", "")).strip()
    return WorkflowForm(
        name=str(form.get("name", "")).strip(),
        enabled="enabled" in form,
        steps=read_steps(form, "steps"),
        trigger=read_trigger_form(form),
        version=int(version) if version.isdigit() and len(version) < 10 else None,
    )


def _top_level_key(index: int) -> str:
    return f"steps[{index}]."


def draft_definition(
    form: WorkflowForm, secrets: SecretBox | None = None
) -> tuple[WorkflowDefinition | None, dict[str, str]]:
    """The definition the inputs describe (even when they have problems), and the problems.

    None only when no definition can be built at all (a paths step that is not last)."""
    problems: dict[str, str] = {}
    if not form.name:
        problems["name"] = "Give the workflow a name."
    box = secrets if secrets is not None else NoSecrets()
    steps, step_problems = steps_to_definitions(form.steps, box, _top_level_key)
    problems |= step_problems
    try:
        definition = WorkflowDefinition(
            name=form.name[:200] or "Untitled", enabled=form.enabled, steps=steps
        )
    except ValidationError as exc:
        message = str(exc.errors()[0].get("msg", "")).removeprefix("Value error, ")
        problems["steps"] = message
        return None, problems
    return definition, problems


def to_definition(
    form: WorkflowForm, secrets: SecretBox | None = None
) -> tuple[WorkflowDefinition | None, dict[str, str]]:
    """The definition to save, or None and every problem found in the inputs."""
    definition, problems = draft_definition(form, secrets)
    return (None, problems) if problems else (definition, {})


def form_from_definition(definition: WorkflowDefinition) -> WorkflowForm:
    """The editor showing a stored workflow (its secrets as references, never values)."""
    return WorkflowForm(
        name=definition.name,
        enabled=definition.enabled,
        steps=steps_from_definitions(definition.steps),
    )


def show_problems(form: WorkflowForm, errors: dict[str, str]) -> None:
    """Put each problem on the card (nested ones too) that has the input for it."""
    place_errors(form.steps, errors, _top_level_key)


def hide_typed_secrets(form: WorkflowForm, secrets: SecretBox) -> None:
    """Before re-showing a submitted form: typed secrets become pending references."""
    protect_steps(form.steps, secrets)
