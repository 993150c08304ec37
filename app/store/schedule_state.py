"""A workflow's schedule state on its row: which schedule it has, when it is next due.

Kept apart from `store.schedules` (which fires ticks and needs steps and events) so
that saving a workflow can keep `next_tick_at` right without importing all of that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from pydantic import ValidationError

from app.store.tables import Workflow
from app.workflows.schedules import ScheduleConfig, next_fire_time


def schedule_of(trigger: dict[str, Any] | None) -> ScheduleConfig | None:
    """The workflow's schedule when its trigger is a (valid) schedule, else None."""
    if not trigger or trigger.get("kind") != "schedule" or not trigger.get("schedule"):
        return None
    try:
        return ScheduleConfig.model_validate(trigger["schedule"])
    except ValidationError:
        return None


def refresh_next_tick(workflow: Workflow, *, now: datetime) -> None:
    """Point `next_tick_at` at the next scheduled time after `now` (None when it never ticks)."""
    schedule = schedule_of(workflow.trigger) if workflow.enabled else None
    workflow.next_tick_at = next_fire_time(schedule, after=now) if schedule else None


def rows_changed(result: Any) -> int:
    """How many rows an UPDATE matched (the claim of a conditional UPDATE)."""
    return int(cast(sa.CursorResult[Any], result).rowcount)
