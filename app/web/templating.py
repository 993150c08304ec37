"""The PAGE template environment (autoescaped HTML). User templates never render here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from app.web.schedule_view import schedule_view
from app.web.step_summaries import step_rows
from app.workflows.exact_json import dump_exact_json
from app.workflows.moments import utc_moment


def time_ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    if seconds < 60:
        return "just now" if seconds < 5 else f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def pretty_json(value: Any) -> str:
    return dump_exact_json(value, indent=2)


def configure_page_environment(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters["time_ago"] = time_ago
    env.filters["utc_moment"] = utc_moment
    env.filters["pretty_json"] = pretty_json
    env.filters["schedule_view"] = schedule_view
    env.filters["step_rows"] = step_rows
    env.globals["STATUS_LABELS"] = {
        "queued": "Queued",
        "running": "Running",
        "succeeded": "Succeeded",
        "failed": "Failed",
        "filtered": "Filtered",
        "abandoned": "Stopped",
        "retry_scheduled": "Will retry",
        "unknown": "Unknown outcome",
        "accepted": "Accepted",
        "held": "Held",
        "duplicate": "Duplicate",
        "rejected": "Rejected",
        "sample": "Pasted sample",
    }
