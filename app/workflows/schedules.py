"""Schedule triggers, pure: what a schedule is, when it next fires, and how to say it.

A schedule is "every N minutes", "hourly at :MM", "daily at HH:MM", "weekly on a
weekday at HH:MM" or a five-part cron expression, in an IANA time zone. Everything but
"every N minutes" becomes a cron expression evaluated by cronsim in that zone, which
follows Debian cron on daylight-saving changes: a time skipped when clocks go forward
runs right after the jump, and a time that happens twice when clocks go back runs once.
"Every N minutes" counts real elapsed time on a grid anchored at the Unix epoch, so
"every 15 minutes" lands on :00, :15, :30 and :45 and is unaffected by DST.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Frequency = Literal["minutes", "hourly", "daily", "weekly", "cron"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
MAX_INTERVAL_MINUTES = 7 * 24 * 60
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
CRON_HELP = (
    "A cron expression has five parts separated by spaces: minute, hour, day of month, "
    "month and day of week, for example 30 9 * * 1-5 (9:30 on weekdays)."
)


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA time zone name this machine knows, sorted (for the form's suggestions)."""
    return tuple(sorted(available_timezones()))


def zone(name: str) -> ZoneInfo:
    """The zone called `name`, or ValueError in plain English."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: name too long
        raise ValueError(
            f"{name!r} is not a time zone Hookline knows; use a name like Europe/Berlin, "
            "America/New_York or UTC"
        ) from exc


class ScheduleConfig(BaseModel):
    """When a scheduled workflow runs (the `"schedule"` object of a trigger)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    every: Frequency = "daily"
    interval_minutes: int | None = Field(
        default=None, validate_default=True, description="For every: minutes."
    )
    minute: int = Field(default=0, ge=0, le=59, description="For every: hourly.")
    time: str = Field(default="09:00", description="HH:MM, for every: daily and weekly.")
    weekday: Weekday = Field(default="monday", description="For every: weekly.")
    cron: str | None = Field(
        default=None,
        validate_default=True,
        description="For every: cron (left out, and not checked, for other frequencies).",
    )
    timezone: str = "UTC"

    @field_validator("time")
    @classmethod
    def _time_is_hh_mm(cls, value: str) -> str:
        match = _TIME.match(value)
        if match is None:
            raise ValueError(f"{value!r} is not a time of day; write it as HH:MM, like 09:30")
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("interval_minutes")
    @classmethod
    def _interval_when_every_few_minutes(
        cls, value: int | None, info: ValidationInfo
    ) -> int | None:
        if info.data.get("every") != "minutes":
            return value
        if value is None:
            raise ValueError("Say how many minutes apart the runs should be")
        if value < 1:
            raise ValueError("Runs can be at most once a minute: use 1 or more minutes")
        if value > MAX_INTERVAL_MINUTES:
            raise ValueError("Use at most 10080 minutes (one week), or a weekly schedule")
        return value

    @field_validator("cron")
    @classmethod
    def _cron_is_understood(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Checked only for "every: cron": a leftover expression of an earlier choice is
        dropped, so it can never block saving another frequency."""
        if info.data.get("every") != "cron":
            return None
        if value is None or value == "":
            raise ValueError(f"Type a cron expression. {CRON_HELP}")
        value = " ".join(value.split())
        if len(value.split(" ")) != 5:
            raise ValueError(f"{value!r} is not a cron expression. {CRON_HELP}")
        try:
            next(CronSim(value, datetime.now(UTC)))
        except CronSimError as exc:
            problem = f"{value!r} is not a valid cron expression ({exc}). {CRON_HELP}"
            raise ValueError(problem) from exc
        except StopIteration:
            raise ValueError(f"The cron expression {value!r} never matches a real date") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    def cron_expression(self) -> str | None:
        """The cron expression this schedule means; None for "every N minutes"."""
        hour, minute = (int(part) for part in self.time.split(":"))
        if self.every == "hourly":
            return f"{self.minute} * * * *"
        if self.every == "daily":
            return f"{minute} {hour} * * *"
        if self.every == "weekly":
            return f"{minute} {hour} * * {WEEKDAYS.index(self.weekday) + 1}"
        if self.every == "cron":
            return self.cron
        return None


def next_fire_time(config: ScheduleConfig, *, after: datetime) -> datetime:
    """The first time strictly after `after` when the schedule fires (aware, in UTC)."""
    if after.tzinfo is None:
        raise ValueError("next_fire_time needs an aware datetime")
    expression = config.cron_expression()
    if expression is None:
        assert config.interval_minutes is not None
        step = config.interval_minutes * 60
        slot = int(after.timestamp()) // step + 1
        return datetime.fromtimestamp(slot * step, UTC)
    local = after.astimezone(config.zone)
    return next(CronSim(expression, local)).astimezone(UTC)


def describe_schedule(config: ScheduleConfig) -> str:
    """The schedule in a sentence, e.g. "Every Monday at 09:30 (Europe/Berlin)"."""
    where = f" ({config.timezone})"
    if config.every == "minutes":
        count = config.interval_minutes
        return "Every minute" if count == 1 else f"Every {count} minutes"
    if config.every == "hourly":
        return f"Every hour at {config.minute:02d} minutes past" + where
    if config.every == "daily":
        return f"Every day at {config.time}" + where
    if config.every == "weekly":
        return f"Every {config.weekday.capitalize()} at {config.time}" + where
    return f"Cron {config.cron}" + where


def local_time_label(moment: datetime, timezone: str) -> str:
    """A moment as a reader in `timezone` would say it: "Mon 31 Mar 2025, 09:30 CEST"."""
    local = moment.astimezone(zone(timezone))
    return local.strftime("%a %d %b %Y, %H:%M ") + (local.tzname() or timezone)
