"""What a workflow is, independent of storage: its steps as the user defined them.

A run copies the workflow's steps into its `plan` when it is created, so editing a
workflow never changes a run that is already under way.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class StepDefinition(BaseModel):
    """One action in the chain; `config` is validated by the action type's own model."""

    type: str = Field(min_length=1, max_length=50, examples=["http_request"])
    name: str | None = Field(default=None, max_length=200)
    enabled: bool = True
    config: dict[str, Any] = Field(default_factory=dict)


class WorkflowDefinition(BaseModel):
    """The user-editable shape of a workflow (the API's request body)."""

    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    steps: list[StepDefinition] = Field(default_factory=list, max_length=50)
    trigger: dict[str, Any] | None = None


def plan_from_steps(steps: list[StepDefinition]) -> list[dict[str, Any]]:
    """The frozen list of enabled steps a new run will execute, in order."""
    return [step.model_dump() for step in steps if step.enabled]
