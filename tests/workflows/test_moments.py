"""utc_moment: the one way pages and messages write a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.workflows.moments import utc_moment


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(1, 1, 1, 0, 0, 5), "0001-01-01 00:00:05"),
        (datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "2026-12-03 14:00:00"),
        (
            datetime(2026, 12, 3, 15, 30, 9, tzinfo=timezone(timedelta(hours=1))),
            "2026-12-03 14:30:09",
        ),
    ],
)
def test_utc_moment_shows_four_digit_year_seconds_and_utc(moment: datetime, shown: str) -> None:
    assert utc_moment(moment) == shown
