"""Shapes of the JSON API's responses (requests use `WorkflowDefinition`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from app.workflows.definition import StepDefinition, WorkflowUpdate


class WorkflowReplace(WorkflowUpdate):
    """A PUT body: the update, and optionally the `version` it was made from."""

    version: int | None = Field(
        default=None,
        ge=1,
        description=(
            "The workflow's `version` when you read it. If it has been saved since, the "
            "update is refused with 409 and nothing changes; leave it out to save anyway."
        ),
    )


class WorkflowOut(BaseModel):
    id: int
    name: str
    enabled: bool
    hook_url: str
    steps: list[StepDefinition]
    trigger: dict[str, Any]
    retry_max_tries: int | None = None
    paused_reason: str | None = None
    failure_streak: int = 0
    next_run_at: datetime | None = None
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
    duplicate_of_event_id: int | None = None
    data_deleted_at: datetime | None = None


class EventFileOut(BaseModel):
    """One uploaded file of a multipart event; `download_url` answers its exact bytes."""

    id: int
    field: str
    filename: str
    content_type: str
    size: int
    sha256: str
    download_url: str


class QueryOut(BaseModel):
    """The query string as sent (`raw`) and decoded: `pairs` in order, `values` by name."""

    raw: str
    pairs: list[tuple[str, str]]
    values: dict[str, str | list[str]]


class EventDetailOut(EventOut):
    """One stored request, complete.

    `body_base64` is the exact bytes received. `parsed` is the parsed view (JSON, form,
    multipart fields, XML or text) with numbers written digit for digit as the sender
    sent them (`10.0` stays `10.0`; big integers stay exact), so read it with a
    decimal-aware JSON parser if you need exact amounts. It is null for empty and
    binary bodies.
    """

    path: str
    headers: list[tuple[str, str]]
    query: QueryOut
    body_kind: str
    body_base64: str
    parsed: Any
    files: list[EventFileOut]
    warnings: list[str]


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a newest-first list; pass `next_before` as `?before=` for the next."""

    items: list[ItemT]
    next_before: int | None
