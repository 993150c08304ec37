"""Checking a step before it is saved: known type, valid settings, templates that compile.

Problems come back keyed by field (`config.url`, `config.body`) in plain English, so
forms can show them next to the right input and the API can name the field.
"""

from __future__ import annotations

from pydantic import ValidationError

from app.integrations.registry import UnknownActionType, get_action
from app.workflows.definition import StepDefinition


def validate_step(step: StepDefinition) -> dict[str, str]:
    """Every problem with one step, by field; empty when the step can be saved."""
    try:
        action = get_action(step.type)
    except UnknownActionType as exc:
        return {"type": str(exc)}
    try:
        config = action.parse_config(step.config)
    except ValidationError as exc:
        return _pydantic_problems(exc)
    problems = {
        f"config.{name}": problem for name, problem in action.validate_templates(config).items()
    }
    for where, nested in action.nested_steps(config):
        for name, problem in validate_step(nested).items():
            problems.setdefault(f"config.{where}.{name}", problem)
    return problems


def _pydantic_problems(exc: ValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "is not valid"))
        message = message.removeprefix("Value error, ")
        problems.setdefault(f"config.{where}" if where else "config", message)
    return problems
