"""How Hookline writes a moment for people: `2026-12-03 14:00:05`, always in UTC.

One helper for pages, messages and step summaries, so every place shows the same
four-digit year and seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_moment(moment: datetime) -> str:
    """'0001-01-01 00:00:05': a four-digit year (strftime's %Y drops the zeros) and seconds.

    An aware moment is converted to UTC first; a naive one is taken as UTC already.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment:%m-%d %H:%M:%S}"
