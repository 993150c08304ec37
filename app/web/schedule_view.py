"""How a workflow's schedule is shown on its pages: in a sentence, with its next run."""

from __future__ import annotations

from dataclasses import dataclass

from app.store.schedule_state import schedule_of
from app.store.tables import Workflow
from app.workflows.schedules import describe_schedule, local_time_label


@dataclass(frozen=True)
class ScheduleView:
    summary: str
    next_run: str | None


def schedule_view(workflow: Workflow) -> ScheduleView | None:
    """The schedule of a scheduled workflow (None for webhook-only ones)."""
    schedule = schedule_of(workflow.trigger)
    if schedule is None:
        return None
    upcoming = workflow.next_tick_at
    return ScheduleView(
        summary=describe_schedule(schedule),
        next_run=local_time_label(upcoming, schedule.timezone) if upcoming else None,
    )
