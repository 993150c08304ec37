"""Log output for every process: JSON lines (production) or readable text (development).

`log_context(run_id=…, event_id=…)` attaches ids to every line logged inside it — the
worker's own lines and those of the libraries it calls — through a context variable, so
one `grep '"run_id": 42'` finds a run's whole story. Values are ids and names only:
never payloads, headers or secrets; libraries that log full URLs or SQL parameters are
kept to warnings, and inbound URL tokens are hidden in access lines.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import warnings
from collections.abc import Iterator
from typing import Literal, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["json", "text"]
CONTEXT_FIELDS = ("workflow_id", "event_id", "run_id", "step", "step_type", "attempt")
# httpx/httpcore log each request's full URL; aiosqlite logs SQL parameters (tokens) at DEBUG
QUIET_LOGGERS = ("httpx", "httpcore", "aiosqlite")
_HOOK_PATH = re.compile(r"(/hooks/)[^/?\s\"]+")

_context: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar(
    "hookline_log_context", default=None
)


def _current() -> dict[str, object]:
    return _context.get() or {}


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Add these fields to every log line inside the block (nested blocks add up)."""
    token = _context.set({**_current(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind_log_context(**fields: object) -> None:
    """Add fields to the current block's context (e.g. once a step has been claimed)."""
    _context.set({**_current(), **fields})


class ContextFilter(logging.Filter):
    """Copies the current log context onto each record (explicit `extra=` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _current().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        ids = " ".join(
            f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS if hasattr(record, key)
        )
        record.context = f" [{ids}]" if ids else ""
        return True


def build_handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter: logging.Formatter
    if log_format == "json":
        formatter = JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, "taskName", "context", "color_message"],
            timestamp=True,
        )
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s%(context)s")
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    return handler


class HookPathFilter(logging.Filter):
    """Hides the token of inbound URLs (`/hooks/<token>`) in access-log lines: anyone
    holding it can start the workflow."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _HOOK_PATH.sub(r"\1[hidden]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def quiet_url_loggers() -> None:
    """Keep full outbound URLs (a chat webhook URL is its own secret) and inbound tokens
    out of the logs, whatever LOG_LEVEL says: libraries that print them log warnings only."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HookPathFilter) for f in access.filters):
        access.addFilter(HookPathFilter())


def configure_logging(*, level: str, log_format: LogFormat) -> None:
    """Replace the root handlers with one stderr handler in the chosen format."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(build_handler(log_format))
    root.setLevel(level.upper())
    quiet_url_loggers()
    logging.captureWarnings(True)  # library warnings become log lines in the same format
    # Not for operators: alembic's plugin list on every start, and authlib announcing
    # deprecations of its own modules (it forces them "always" when imported).
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    import authlib.deprecate  # installs its "always" filter first, so ours comes before it

    warnings.filterwarnings("ignore", category=authlib.deprecate.AuthlibDeprecationWarning)
