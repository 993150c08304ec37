"""The webhook edge's unit of work on SQLite: run by the writer thread, off the event loop.

Same order and answers as `controllers/hooks.py::_intake` (look up, count, decide, store),
but synchronous, on the writer thread's plain `sqlite3` connection (store/intake_sqlite.py),
so the event loop only parses HTTP and awaits the batch's COMMIT (issue 7).

The decrypted trigger and the run plan are cached by content: the key is the trigger
JSON and step rows read in this very transaction, so an edit made by any process (or a
workflow switched off) is seen by the next request without any invalidation message.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from litestar import Response

from app.inbound.request import InboundRequest
from app.inbound.trigger_config import TriggerConfig
from app.settings import Settings
from app.store.events import RecordedEvent
from app.store.intake_sqlite import count_hook_request, find_hook, is_retired_token
from app.store.intake_sqlite import record_event as record_event_sqlite
from app.web.hook_intake import (
    HookFacts,
    Verdict,
    assess_request,
    incoming_event,
    log_received,
    too_many_requests,
    unknown_url,
    with_cors,
)

Intake = Response[Any] | tuple[TriggerConfig, Verdict, RecordedEvent]


def intake_on_sqlite(
    connection: sqlite3.Connection,
    *,
    settings: Settings,
    facts: HookFacts,
    token: str,
    inbound: InboundRequest,
) -> Intake:
    """One request's unit: look up, count, decide, store (the writer thread commits)."""
    hook = find_hook(connection, token=token)
    if hook is None:
        return unknown_url(retired=is_retired_token(connection, token=token))
    wait = count_hook_request(
        connection,
        workflow_id=hook.workflow_id,
        now=inbound.received_at,
        limit_per_minute=settings.inbound.rate_limit_per_minute,
    )
    if wait is not None:
        return too_many_requests(wait)
    trigger = facts.trigger(hook.trigger_json)
    verdict = assess_request(trigger, inbound)
    if verdict.reply is not None:
        return with_cors(trigger, verdict.reply)
    accepted = verdict.outcome == "accepted"
    recorded = record_event_sqlite(
        connection,
        workflow_id=hook.workflow_id,
        incoming=incoming_event(inbound, verdict),
        outcome="held" if accepted and not hook.enabled else verdict.outcome,
        reason=verdict.reason,
        plan=facts.plan_for(hook) if accepted else None,
        lease=timedelta(seconds=settings.broker.lease_seconds),
    )
    log_received(hook.workflow_id, recorded, verdict)
    return trigger, verdict, recorded
