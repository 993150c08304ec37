"""Shapes of the JSON API's responses (requests use `WorkflowDefinition`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from app.workflows.definition import StepDefinition


class WorkflowOut(BaseModel):
    id: int
    name: str
    enabled: bool
    hook_url: str
    steps: list[StepDefinition]
    trigger: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class RunOut(BaseModel):
    id: int
    workflow_id: int
    event_id: int | None
    status: str
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class StepAttemptOut(BaseModel):
    step_index: int
    attempt: int
    type: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    request: dict[str, Any] | None
    response: dict[str, Any] | None
    error: str | None
    warnings: list[str]


class RunDetailOut(RunOut):
    steps: list[StepAttemptOut]


class EventOut(BaseModel):
    id: int
    workflow_id: int
    received_at: datetime
    method: str
    content_type: str | None
    size: int
    outcome: str
    reason: str | None
    dedupe_key: str | None


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a newest-first list; pass `next_before` as `?before=` for the next."""

    items: list[ItemT]
    next_before: int | None
