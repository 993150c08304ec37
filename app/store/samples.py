"""The data a workflow's editor works with: its latest event, pasted samples, step outputs.

The field picker and "test this step" use the newest event whose data can be used
(accepted, held, duplicate or a pasted sample; not rejected or deleted ones) and, for
`steps[i]`, the newest successful output of each step from recent runs.

A pasted sample is stored as an Event with outcome "sample": it shows in the history
labelled as such and is never run (held-event runs and replays select other outcomes).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.steps_sqlite import StoredEvent
from app.store.tables import Event, Run, StepAttempt, utcnow
from app.workflows.engine import trigger_context
from app.workflows.exact_json import dump_exact_json, load_exact_json

SAMPLE_OUTCOME = "sample"
DATA_OUTCOMES = ("accepted", "held", "duplicate", SAMPLE_OUTCOME)
SAMPLE_REASON = "Sample pasted in the editor: used to pick fields and test steps, never run"
RECENT_RUNS = 20


async def latest_data_event(session: AsyncSession, *, workflow_id: int) -> Event | None:
    """The newest event whose data the editor can use, or None if none arrived yet."""
    query = (
        select(Event)
        .where(Event.workflow_id == workflow_id)
        .where(col(Event.outcome).in_(DATA_OUTCOMES))
        .where(col(Event.data_deleted_at).is_(None))
        .order_by(col(Event.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def save_sample_event(session: AsyncSession, *, workflow_id: int, body: Any) -> Event:
    """Keep a pasted JSON document as the workflow's newest (never run) event."""
    text = dump_exact_json(body)
    event = Event(
        workflow_id=workflow_id,
        received_at=utcnow(),
        method="POST",
        path="(pasted sample)",
        query_string="",
        headers=[["content-type", "application/json"]],
        content_type="application/json",
        body=text.encode(),
        body_size=len(text.encode()),
        body_kind="json",
        parsed_json=text,
        outcome=SAMPLE_OUTCOME,
        reason=SAMPLE_REASON,
    )
    session.add(event)
    await session.flush()
    return event


def event_trigger(event: Event | StoredEvent | None) -> dict[str, Any]:
    """What `{{ trigger }}` is for this event: the worker and the editor both use this.

    A scheduled run has no event, so its `trigger` is empty.
    """
    if event is None:
        return {}
    return trigger_context(
        method=event.method,
        headers=event.headers,
        query_pairs=parse_qsl(event.query_string, keep_blank_values=True),
        raw_query=event.query_string,
        body=load_exact_json(event.parsed_json) if event.parsed_json else None,
        content_type=event.content_type,
        event_id=event.id,
        received_at=event.received_at.isoformat(),
    )


async def latest_step_outputs(
    session: AsyncSession, *, workflow_id: int, before_step: int
) -> list[Any]:
    """`steps[0..before_step-1]` as recent runs left them (None where no run got that far).

    Each position takes the newest successful output among the last RECENT_RUNS runs, so
    a run stopped early by a filter does not hide what an earlier run produced.
    """
    if before_step <= 0:
        return []
    recent = (
        select(Run.id)
        .where(Run.workflow_id == workflow_id)
        .order_by(col(Run.id).desc())
        .limit(RECENT_RUNS)
    )
    query = (
        select(StepAttempt.step_index, StepAttempt.output_json)
        .where(col(StepAttempt.run_id).in_(recent))
        .where(StepAttempt.status == "succeeded", col(StepAttempt.step_index) < before_step)
        .order_by(col(StepAttempt.run_id).desc(), col(StepAttempt.attempt).desc())
    )
    outputs: dict[int, Any] = {}
    for index, output in (await session.exec(query)).all():
        if index not in outputs:
            outputs[index] = load_exact_json(output) if output else None
    return [outputs.get(index) for index in range(before_step)]
