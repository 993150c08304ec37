"""The run state machine: what a run does next, and the data its templates see. Pure.

A run executes its `plan` (copied from the workflow when it starts) one step at a time.
After each step the engine says whether the run goes on (and to which step) or ends,
and with what status. Two kinds of step change the flow:

- a paths step picks a branch, whose steps are spliced into this run's plan right after
  it (paths are terminal, as in Zapier: nothing follows a paths step in its own list);
- a delay step sets a wake time: the next step is marked "not before" that time, and
  the run's lease is set so the sweeper wakes it even if no broker message survives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

RunStatus = Literal["queued", "running", "succeeded", "failed", "filtered"]
StepOutcome = Literal["succeeded", "failed", "filtered"]


NOT_BEFORE_KEY = "not_before"
# Dramatiq workers hold delayed messages in memory until they are due; longer waits are
# left to the sweeper, which wakes the run when its lease (set to the wake time) runs out.
BROKER_DELAY_LIMIT = timedelta(minutes=15)


@dataclass(frozen=True)
class FlowChange:
    """What a control-flow step asks for: steps to run next, and/or a time to wait until."""

    insert_steps: tuple[dict[str, Any], ...] = ()
    wake_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """After a step: the run's new status, the next step's index, and any flow change."""

    status: RunStatus
    next_step: int | None
    insert_steps: tuple[dict[str, Any], ...] = field(default=())
    wake_at: datetime | None = None


def decide_after_step(
    *, outcome: StepOutcome, step_index: int, plan_length: int, flow: FlowChange | None = None
) -> Decision:
    """A failed step fails the run; a filter stops it; otherwise the next step runs."""
    if outcome == "failed":
        return Decision(status="failed", next_step=None)
    if outcome == "filtered":
        return Decision(status="filtered", next_step=None)
    flow = flow or FlowChange()
    following = step_index + 1
    if following >= plan_length + len(flow.insert_steps):
        return Decision(status="succeeded", next_step=None)
    return Decision(
        status="running",
        next_step=following,
        insert_steps=flow.insert_steps,
        wake_at=flow.wake_at,
    )


def continued_plan(plan: Sequence[dict[str, Any]], decision: Decision) -> list[dict[str, Any]]:
    """The plan after `decision`: branch steps spliced in, the next step's wake time marked."""
    if decision.next_step is None:
        return list(plan)
    at = decision.next_step
    steps = [*plan[:at], *(dict(step) for step in decision.insert_steps), *plan[at:]]
    if decision.wake_at is not None:
        steps[at] = {**steps[at], NOT_BEFORE_KEY: decision.wake_at.isoformat()}
    return steps


def not_before(step: dict[str, Any]) -> datetime | None:
    """When a step may start, if a delay before it set a time."""
    marked = step.get(NOT_BEFORE_KEY)
    return datetime.fromisoformat(marked) if isinstance(marked, str) else None


@dataclass(frozen=True)
class WakeSchedule:
    """How a waiting run is woken: its lease, and the broker delay (None: sweeper only)."""

    lease_until: datetime
    enqueue_delay_ms: int | None


def schedule_wake(
    *,
    wake_at: datetime | None,
    now: datetime,
    lease: timedelta,
    broker_limit: timedelta = BROKER_DELAY_LIMIT,
) -> WakeSchedule:
    """Short waits ride a delayed broker message; long ones wait for the sweeper."""
    if wake_at is None or wake_at <= now:
        return WakeSchedule(lease_until=now + lease, enqueue_delay_ms=0)
    wait = wake_at - now
    if wait <= broker_limit:
        return WakeSchedule(wake_at + lease, enqueue_delay_ms=int(wait.total_seconds() * 1000))
    return WakeSchedule(lease_until=wake_at, enqueue_delay_ms=None)


def trigger_context(
    *,
    method: str,
    headers: list[list[str]],
    query_pairs: list[tuple[str, str]],
    raw_query: str,
    body: Any,
    content_type: str | None,
    event_id: int | None,
    received_at: str | None,
) -> dict[str, Any]:
    """What `{{ trigger.… }}` means in templates.

    Header names are lower-cased (`trigger.headers['x-github-event']`); a repeated
    header or query key keeps its first value here (all values are in `*_all`).
    """
    header_map: dict[str, str] = {}
    header_all: dict[str, list[str]] = {}
    for name, value in headers:
        header_all.setdefault(name.lower(), []).append(value)
        header_map.setdefault(name.lower(), value)
    query_map: dict[str, str] = {}
    query_all: dict[str, list[str]] = {}
    for key, value in query_pairs:
        query_all.setdefault(key, []).append(value)
        query_map.setdefault(key, value)
    return {
        "method": method,
        "headers": header_map,
        "headers_all": header_all,
        "query": query_map,
        "query_all": query_all,
        "raw_query": raw_query,
        "body": body,
        "content_type": content_type,
        "event_id": event_id,
        "received_at": received_at,
    }


def template_context(trigger: dict[str, Any], step_outputs: list[Any]) -> dict[str, Any]:
    """The full context: the trigger plus the outputs of the steps that already ran."""
    return {"trigger": trigger, "steps": list(step_outputs)}
