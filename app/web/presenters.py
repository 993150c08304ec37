"""Turning stored rows into API shapes; secrets are masked here, on the way out."""

from __future__ import annotations

import base64
from typing import Any

from app.inbound.request import InboundRequest
from app.integrations.response_summary import HIDDEN
from app.integrations.webhook_post import redacted
from app.settings import Settings
from app.store.sealing import is_sealed, is_secret_key, sealed_hint
from app.store.tables import Event, EventFile, Run, Step, StepAttempt, Workflow, utcnow
from app.web.schemas import (
    EventDetailOut,
    EventFileOut,
    EventOut,
    QueryOut,
    RunDetailOut,
    RunOut,
    StepAttemptOut,
    WorkflowOut,
)
from app.workflows.definition import StepDefinition
from app.workflows.exact_json import dump_exact_json, load_exact_json


def mask_secret(value: str) -> str:
    """`••••` plus the last 4 characters (nothing at all for short secrets)."""
    if is_sealed(value):
        return "••••" + sealed_hint(value)
    return "••••" + value[-4:] if len(value) >= 12 else "••••"


def masked(config: Any) -> Any:
    """A copy of a config tree with every secret-named string value masked."""
    if isinstance(config, dict):
        return {
            key: mask_secret(value)
            if is_secret_key(key) and isinstance(value, str) and value
            else masked(value)
            for key, value in config.items()
        }
    if isinstance(config, list):
        return [masked(item) for item in config]
    return config


def workflow_out(settings: Settings, workflow: Workflow, steps: list[Step]) -> WorkflowOut:
    assert workflow.id is not None
    return WorkflowOut(
        id=workflow.id,
        name=workflow.name,
        enabled=workflow.enabled,
        hook_url=settings.hook_url(workflow.hook_token),
        steps=[
            StepDefinition(type=s.type, name=s.name, enabled=s.enabled, config=masked(s.config))
            for s in steps
        ],
        trigger=masked(workflow.trigger or {}),
        retry_max_tries=workflow.retry_max_tries,
        paused_reason=workflow.paused_reason,
        failure_streak=workflow.failure_streak,
        next_run_at=workflow.next_tick_at if workflow.enabled else None,
        version=workflow.version,
        created_at=workflow.created_at,
        updated_at=workflow.updated_at,
    )


def run_out(run: Run) -> RunOut:
    assert run.id is not None
    return RunOut(
        id=run.id,
        workflow_id=run.workflow_id,
        event_id=run.event_id,
        status=run.status,
        error=run.error,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def shown_response(
    request: dict[str, Any] | None, response: dict[str, Any] | None
) -> dict[str, Any] | None:
    """A step's recorded answer, its `final_url` hidden like the request's URL was (a chat
    webhook URL is the secret itself; records made before it was hidden at the source)."""
    if not response or not isinstance(response.get("final_url"), str):
        return response
    shown_url = (request or {}).get("url")
    if isinstance(shown_url, str) and HIDDEN in shown_url:
        return {**response, "final_url": redacted(response["final_url"])}
    return response


def attempt_out(attempt: StepAttempt) -> StepAttemptOut:
    return StepAttemptOut(
        step_index=attempt.step_index,
        attempt=attempt.attempt,
        type=attempt.step_type,
        status=attempt.status,
        started_at=attempt.started_at,
        finished_at=attempt.finished_at,
        duration_ms=attempt.duration_ms,
        request=attempt.request,
        response=shown_response(attempt.request, attempt.response),
        error=attempt.error,
        warnings=list(attempt.warnings or []),
    )


def run_detail_out(run: Run, attempts: list[StepAttempt]) -> RunDetailOut:
    base = run_out(run)
    return RunDetailOut(**base.model_dump(), steps=[attempt_out(a) for a in attempts])


def event_out(event: Event) -> EventOut:
    assert event.id is not None
    return EventOut(
        id=event.id,
        workflow_id=event.workflow_id,
        received_at=event.received_at,
        method=event.method,
        content_type=event.content_type,
        size=event.body_size,
        outcome=event.outcome,
        reason=event.reason,
        dedupe_key=event.dedupe_key,
        duplicate_of_event_id=event.duplicate_of_event_id,
        data_deleted_at=event.data_deleted_at,
    )


def event_file_out(event_file: EventFile, *, url_prefix: str = "") -> EventFileOut:
    assert event_file.id is not None
    return EventFileOut(
        id=event_file.id,
        field=event_file.field_name,
        filename=event_file.filename,
        content_type=event_file.content_type,
        size=event_file.size,
        sha256=event_file.sha256,
        download_url=f"{url_prefix}/events/{event_file.event_id}/files/{event_file.id}",
    )


def query_out(raw_query: str) -> QueryOut:
    """The raw query and its decoded pairs, read the way the webhook edge reads them."""
    decoded = InboundRequest("GET", "", "", raw_query, (), b"", utcnow())
    return QueryOut(raw=raw_query, pairs=decoded.query_pairs, values=decoded.query_dict)


def event_detail_json(event: Event, files: list[EventFile]) -> str:
    """The event as JSON text, the parsed body's numbers written exactly as received."""
    detail = EventDetailOut(
        **event_out(event).model_dump(),
        path=event.path,
        headers=[(name, value) for name, value in event.headers],
        query=query_out(event.query_string),
        body_kind=event.body_kind,
        body_base64=base64.b64encode(event.body).decode("ascii"),
        parsed=load_exact_json(event.parsed_json) if event.parsed_json else None,
        files=[event_file_out(f, url_prefix="/api/v1") for f in files],
        warnings=list(event.warnings or []),
    )
    return dump_exact_json(detail.model_dump())
