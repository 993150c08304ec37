"""Building ActionResults for steps that do not call a web service (filter, delay, ...).

Timing starts when the step starts; warnings keep the order they were raised in.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from app.integrations.base import ActionResult, Outcome
from app.workflows.engine import FlowChange


def elapsed_ms(started: float) -> int:
    """Milliseconds since `started` (a `time.monotonic()` reading)."""
    return int((time.monotonic() - started) * 1000)


def finished(
    outcome: Outcome,
    output: Any,
    started: float,
    warnings: Iterable[str] = (),
    flow: FlowChange | None = None,
) -> ActionResult:
    """A step that finished (succeeded or filtered) with `output` for later steps."""
    return ActionResult(
        outcome=outcome,
        request=None,
        response=None,
        output=output,
        error=None,
        warnings=tuple(dict.fromkeys(warnings)),
        duration_ms=elapsed_ms(started),
        flow=flow,
    )


def failed(error: str, started: float, warnings: Iterable[str] = ()) -> ActionResult:
    """A step that could not do its job, saying why in plain English."""
    return ActionResult(
        outcome="failed",
        request=None,
        response=None,
        output=None,
        error=error,
        warnings=tuple(dict.fromkeys(warnings)),
        duration_ms=elapsed_ms(started),
    )
