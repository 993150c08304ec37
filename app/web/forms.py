"""Reading the workflow editor's form into a `WorkflowDefinition`, and back for display.

Steps arrive as `steps-<n>-<field>` inputs; headers are typed one per line as
`Name: value`. Problems are keyed like the API's (`steps[0].config.url`) so the editor
can show each next to its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.web.trigger_form import TriggerForm, read_trigger_form
from app.workflows.definition import StepDefinition, WorkflowDefinition
from app.workflows.exact_json import dump_exact_json

STEP_FIELDS = ("type", "name", "method", "url", "headers", "body")


@dataclass
class StepForm:
    """One step as the editor shows it (strings, exactly as typed)."""

    type: str = "http_request"
    name: str = ""
    method: str = "POST"
    url: str = ""
    headers: str = "Content-Type: application/json"
    body: str = ""
    enabled: bool = True
    strict: bool = False


@dataclass
class WorkflowForm:
    name: str = ""
    enabled: bool = True
    steps: list[StepForm] = field(default_factory=list)
    trigger: TriggerForm = field(default_factory=TriggerForm)


def read_workflow_form(form: Any) -> WorkflowForm:
    """Build the editor state from submitted form data (a multidict)."""
    indexes = sorted(
        {
            int(key.split("-")[1])
            for key in form
            if key.startswith("steps-") and key.count("-") >= 2 and key.split("-")[1].isdigit()
        }
    )
    steps = []
    for index in indexes:
        values = {name: str(form.get(f"steps-{index}-{name}", "")) for name in STEP_FIELDS}
        steps.append(
            StepForm(
                **values,
                enabled=f"steps-{index}-enabled" in form,
                strict=f"steps-{index}-strict" in form,
            )
        )
    return WorkflowForm(
        name=str(form.get("name", "")).strip(),
        enabled="enabled" in form,
        steps=steps,
        trigger=read_trigger_form(form),
    )


def parse_header_lines(text: str) -> tuple[dict[str, str], str | None]:
    headers: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            return headers, f"Line {number} should look like 'Name: value'."
        headers[name.strip()] = value.strip()
    return headers, None


def to_definition(form: WorkflowForm) -> tuple[WorkflowDefinition | None, dict[str, str]]:
    problems: dict[str, str] = {}
    if not form.name:
        problems["name"] = "Give the workflow a name."
    steps = []
    for index, step in enumerate(form.steps):
        headers, header_problem = parse_header_lines(step.headers)
        if header_problem:
            problems[f"steps[{index}].config.headers"] = header_problem
        config: dict[str, Any] = {
            "method": step.method,
            "url": step.url.strip(),
            "headers": headers,
            "body": step.body or None,
            "strict_templates": step.strict,
        }
        steps.append(
            StepDefinition(
                type=step.type or "http_request",
                name=step.name or None,
                enabled=step.enabled,
                config=config,
            )
        )
    if problems:
        return None, problems
    return WorkflowDefinition(name=form.name, enabled=form.enabled, steps=steps), {}


def form_from_definition(definition: WorkflowDefinition) -> WorkflowForm:
    steps = []
    for step in definition.steps:
        config = step.config
        headers = "\n".join(f"{k}: {v}" for k, v in (config.get("headers") or {}).items())
        body = config.get("body")
        steps.append(
            StepForm(
                type=step.type,
                name=step.name or "",
                method=str(config.get("method", "POST")),
                url=str(config.get("url", "")),
                headers=headers,
                body=body if isinstance(body, str) else _json_text(body),
                enabled=step.enabled,
                strict=bool(config.get("strict_templates", False)),
            )
        )
    return WorkflowForm(name=definition.name, enabled=definition.enabled, steps=steps)


def _json_text(value: Any) -> str:
    return "" if value is None else dump_exact_json(value, indent=2)
