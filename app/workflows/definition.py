"""What a workflow is, independent of storage: its steps as the user defined them.

A run copies the workflow's steps into its `plan` when it is created, so editing a
workflow never changes a run that is already under way. A paths step holds its branches'
steps in its own config and must be the last step of its list (as in Zapier).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PATHS_TYPE = "paths"
# Tries per step a workflow may ask for (1 = no automatic retries).
MAX_RETRY_TRIES = 10
RetryTries = Annotated[
    int | None,
    Field(
        ge=1,
        le=MAX_RETRY_TRIES,
        description="Tries per step for temporary failures (1 = no retries); null = the default.",
    ),
]


def refuse_unknown_fields(data: Any, model: type[BaseModel], what: str, hint: str) -> Any:
    """Refuse a field the model does not have (it would be dropped silently), saying
    which fields there are and where such a field belongs."""
    if isinstance(data, dict):
        unknown = [str(key) for key in data if key not in model.model_fields]
        if unknown:
            fields = list(model.model_fields)
            known = ", ".join(fields[:-1]) + f" and {fields[-1]}"
            name = unknown[0]
            raise ValueError(
                f'"{name}" is not a {what} field (a {what} has {known}): ' + hint.format(name=name)
            )
    return data


_STEP_HINT = (
    'the step\'s own settings, such as "{name}", go inside "config", e.g. '
    '{{"type": "http_request", "config": {{"url": "…", "{name}": …}}}}.'
)
_WORKFLOW_HINT = (
    'a step\'s settings go inside that step\'s "config", the webhook\'s settings inside "trigger".'
)


class StepDefinition(BaseModel):
    """One action in the chain; `config` is validated by the action type's own model."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_fields(cls, data: Any) -> Any:
        return refuse_unknown_fields(data, cls, "step", _STEP_HINT)

    type: str = Field(min_length=1, max_length=50, examples=["http_request"])
    name: str | None = Field(default=None, max_length=200)
    enabled: bool = True
    config: dict[str, Any] = Field(default_factory=dict)


class WorkflowDefinition(BaseModel):
    """The user-editable shape of a workflow (the API's request body)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_fields(cls, data: Any) -> Any:
        return refuse_unknown_fields(data, cls, "workflow", _WORKFLOW_HINT)

    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    steps: list[StepDefinition] = Field(default_factory=list, max_length=50)
    trigger: dict[str, Any] | None = None
    retry_max_tries: RetryTries = None

    @field_validator("steps")
    @classmethod
    def _paths_come_last(cls, steps: list[StepDefinition]) -> list[StepDefinition]:
        problem = describe_paths_placement(steps)
        if problem is not None:
            raise ValueError(problem)
        return steps


def describe_paths_placement(steps: Sequence[StepDefinition]) -> str | None:
    """Say why a step list is not allowed because a paths step is not last, or None."""
    enabled = [step for step in steps if step.enabled]
    if any(step.type == PATHS_TYPE for step in enabled[:-1]):
        return (
            "A paths step must be the last step: put the steps that should follow it "
            "inside each path instead."
        )
    return None


class WorkflowUpdate(BaseModel):
    """A partial update: fields left out keep their current values."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_fields(cls, data: Any) -> Any:
        return refuse_unknown_fields(data, cls, "workflow", _WORKFLOW_HINT)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    enabled: bool | None = None
    steps: list[StepDefinition] | None = Field(default=None, max_length=50)
    trigger: dict[str, Any] | None = None
    retry_max_tries: RetryTries = None


def plan_from_steps(steps: Sequence[StepDefinition]) -> list[dict[str, Any]]:
    """The list of enabled steps a new run (or a chosen path) will execute, in order."""
    return [step.model_dump() for step in steps if step.enabled]
