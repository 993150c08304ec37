"""The run state machine: what a run does next, and the data its templates see. Pure.

A run executes its frozen `plan` one step at a time. After each step the engine
says whether the run goes on (and to which step) or ends, and with what status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

RunStatus = Literal["queued", "running", "succeeded", "failed", "filtered"]
StepOutcome = Literal["succeeded", "failed", "filtered"]


@dataclass(frozen=True)
class Decision:
    """After a step: the run's new status and the index of the next step to run, if any."""

    status: RunStatus
    next_step: int | None


def decide_after_step(*, outcome: StepOutcome, step_index: int, plan_length: int) -> Decision:
    """A failed step fails the run; a filter stops it; otherwise the next step runs."""
    if outcome == "failed":
        return Decision(status="failed", next_step=None)
    if outcome == "filtered":
        return Decision(status="filtered", next_step=None)
    following = step_index + 1
    if following >= plan_length:
        return Decision(status="succeeded", next_step=None)
    return Decision(status="running", next_step=following)


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
