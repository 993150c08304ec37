"""Schedule computations, table-driven: every kind of schedule, time zones, DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from app.workflows.schedules import (
    ScheduleConfig,
    describe_schedule,
    local_time_label,
    next_fire_time,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


NEXT_TIMES = [
    # (schedule, after (UTC), expected next (UTC), why)
    (
        {"every": "minutes", "interval_minutes": 15},
        utc(2025, 3, 3, 9, 7),
        utc(2025, 3, 3, 9, 15),
        "grid",
    ),
    (
        {"every": "minutes", "interval_minutes": 15},
        utc(2025, 3, 3, 9, 15),
        utc(2025, 3, 3, 9, 30),
        "strictly after",
    ),
    (
        {"every": "minutes", "interval_minutes": 1},
        utc(2025, 3, 3, 9, 7, 30),
        utc(2025, 3, 3, 9, 8),
        "every minute",
    ),
    # Elapsed time is unaffected by DST: 01:45 UTC + 30 min across Berlin's spring jump.
    (
        {"every": "minutes", "interval_minutes": 30, "timezone": "Europe/Berlin"},
        utc(2025, 3, 30, 0, 45),
        utc(2025, 3, 30, 1, 0),
        "DST-free",
    ),
    ({"every": "hourly", "minute": 5}, utc(2025, 3, 3, 9, 7), utc(2025, 3, 3, 10, 5), "next hour"),
    ({"every": "hourly", "minute": 5}, utc(2025, 3, 3, 9, 4), utc(2025, 3, 3, 9, 5), "this hour"),
    (
        {"every": "daily", "time": "09:30"},
        utc(2025, 3, 3, 9, 31),
        utc(2025, 3, 4, 9, 30),
        "tomorrow",
    ),
    (
        {"every": "daily", "time": "09:30", "timezone": "America/New_York"},
        utc(2025, 1, 15, 12, 0),
        utc(2025, 1, 15, 14, 30),
        "EST is UTC-5",
    ),
    (
        {"every": "daily", "time": "09:30", "timezone": "America/New_York"},
        utc(2025, 7, 15, 12, 0),
        utc(2025, 7, 15, 13, 30),
        "EDT is UTC-4",
    ),
    # Berlin springs forward on 2025-03-30 at 02:00 → 03:00: 02:30 does not exist that day,
    # so the run happens right after the jump (03:00 CEST = 01:00 UTC), as Debian cron does.
    (
        {"every": "daily", "time": "02:30", "timezone": "Europe/Berlin"},
        utc(2025, 3, 29, 12, 0),
        utc(2025, 3, 30, 1, 0),
        "skipped hour",
    ),
    (
        {"every": "daily", "time": "02:30", "timezone": "Europe/Berlin"},
        utc(2025, 3, 30, 1, 0),
        utc(2025, 3, 31, 0, 30),
        "day after the jump",
    ),
    # Berlin falls back on 2025-10-26 (03:00 → 02:00): 02:30 happens twice, runs once.
    (
        {"every": "daily", "time": "02:30", "timezone": "Europe/Berlin"},
        utc(2025, 10, 25, 12, 0),
        utc(2025, 10, 26, 0, 30),
        "first 02:30",
    ),
    (
        {"every": "daily", "time": "02:30", "timezone": "Europe/Berlin"},
        utc(2025, 10, 26, 0, 30),
        utc(2025, 10, 27, 1, 30),
        "not the repeat",
    ),
    (
        {"every": "daily", "time": "09:00", "timezone": "Europe/Berlin"},
        utc(2025, 10, 25, 12, 0),
        utc(2025, 10, 26, 8, 0),
        "after fall-back: CET",
    ),
    (
        {"every": "weekly", "weekday": "monday", "time": "08:00"},
        utc(2025, 3, 5, 0, 0),
        utc(2025, 3, 10, 8, 0),
        "next Monday",
    ),
    (
        {"every": "weekly", "weekday": "sunday", "time": "23:15", "timezone": "Asia/Tokyo"},
        utc(2025, 3, 3, 0, 0),
        utc(2025, 3, 9, 14, 15),
        "Tokyo Sunday",
    ),
    (
        {"every": "cron", "cron": "30 9 * * 1-5", "timezone": "Europe/London"},
        utc(2025, 3, 7, 10, 0),
        utc(2025, 3, 10, 9, 30),
        "weekdays skip weekend",
    ),
    (
        {"every": "cron", "cron": "0 0 1 * *"},
        utc(2025, 1, 31, 0, 0),
        utc(2025, 2, 1, 0, 0),
        "monthly",
    ),
]


@pytest.mark.parametrize(("schedule", "after", "expected", "why"), NEXT_TIMES)
def test_next_fire_time_follows_the_schedule(
    schedule: dict[str, object], after: datetime, expected: datetime, why: str
) -> None:
    config = ScheduleConfig.model_validate(schedule)
    got = next_fire_time(config, after=after)
    assert got == expected, why
    assert got.tzinfo is not None and got.utcoffset() == UTC.utcoffset(None)


def test_a_daily_schedule_fires_once_a_day_through_both_dst_changes() -> None:
    config = ScheduleConfig(every="daily", time="02:30", timezone="Europe/Berlin")
    moment, days = utc(2025, 3, 1), set()
    for _ in range(260):
        moment = next_fire_time(config, after=moment)
        days.add(moment.astimezone(config.zone).date())
    assert len(days) == 260  # one run per local day, none doubled or lost


BAD_SCHEDULES = [
    ({"every": "minutes", "interval_minutes": 0}, "at most once a minute"),
    ({"every": "minutes"}, "how many minutes"),
    ({"every": "minutes", "interval_minutes": 20000}, "one week"),
    ({"every": "cron"}, "Type a cron expression"),
    ({"every": "cron", "cron": "61 * * * *"}, "Bad minute"),
    ({"every": "cron", "cron": "* * *"}, "five parts"),
    ({"every": "cron", "cron": "* * * * * *"}, "five parts"),  # no seconds: at most once a minute
    ({"every": "cron", "cron": "0 0 30 2 *"}, "not a valid cron expression"),
    ({"every": "daily", "time": "25:00"}, "HH:MM"),
    ({"every": "daily", "timezone": "Europe/Berln"}, "not a time zone"),
    ({"every": "daily", "timezone": "../etc/passwd"}, "not a time zone"),
    ({"every": "fortnightly"}, "every"),
]


@pytest.mark.parametrize(("schedule", "message"), BAD_SCHEDULES)
def test_bad_schedules_are_refused_in_plain_english(
    schedule: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ScheduleConfig.model_validate(schedule)
    assert message in str(caught.value)


def test_schedules_read_as_sentences_in_their_time_zone() -> None:
    weekly = ScheduleConfig(every="weekly", weekday="friday", time="7:05", timezone="Europe/Paris")
    assert weekly.time == "07:05"
    assert describe_schedule(weekly) == "Every Friday at 07:05 (Europe/Paris)"
    assert describe_schedule(ScheduleConfig(every="minutes", interval_minutes=1)) == "Every minute"
    label = local_time_label(utc(2025, 7, 4, 5, 5), "Europe/Paris")
    assert label == "Fri 04 Jul 2025, 07:05 CEST"
