"""The webhook edge: `/hooks/{token}` turns any HTTP request into a stored event.

Order matters and is the product's promise: read the exact bytes (Litestar answers
413 above `request_max_body_size` before anything is stored), count the request
against the hook's rate limit, decide (handshake, method, signature, duplicate),
INSERT and COMMIT, then enqueue, then answer 2xx. If the database cannot commit, the
sender gets 503 and retries; nothing is acknowledged that is not stored. If the broker
is down, the sweeper enqueues the run later. A disabled workflow still stores events
("held"); only deleting the workflow (404) or rotating its URL (410) stops a URL.

Lean on purpose (issue 7): no session cookie, CSRF or DI on this route, Core inserts,
and the whole decision runs as one unit of a group commit, so concurrent requests share
one transaction and one fsync; each is answered only after that commit. On SQLite the
unit runs synchronously on the writer thread (hook_intake_sqlite.py); on PostgreSQL it
runs on the loop in the `GroupCommitter`'s shared async transaction.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, cast

from litestar import Request, Response, route
from litestar.datastructures import URL, State
from litestar.params import FromPath
from litestar.types import HTTPScope, Method, Scope
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.inbound.request import InboundRequest
from app.inbound.trigger_config import TriggerConfig
from app.settings import Settings
from app.store.events import RecordedEvent, record_event
from app.store.group_commit import GroupCommitter
from app.store.hook_urls import is_retired_hook_token
from app.store.rate_limits import count_hook_request
from app.store.sealing import open_trigger
from app.store.tables import Workflow, utcnow
from app.store.workflows import find_workflow_by_hook_token, list_workflow_steps, step_definitions
from app.web.hook_intake import (
    Verdict,
    assess_request,
    incoming_event,
    reply_for,
    too_many_requests,
    unknown_url,
    with_cors,
)
from app.web.hook_intake_backlog import refuse_when_backlogged
from app.web.hook_intake_sqlite import HookFacts, Intake, intake_on_sqlite
from app.workflows.definition import plan_from_steps

log = logging.getLogger("hookline.hooks")

HOOK_METHODS: list[Method] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
UNAVAILABLE = Response(
    content={"error": "Hookline cannot store events right now. Please retry shortly."},
    status_code=503,
    headers={"Retry-After": "30"},
)


@route(["/hooks/{token:str}", "/hooks/{token:str}/"], http_method=HOOK_METHODS)
async def receive_hook(request: Request[Any, Any, State], token: FromPath[str]) -> Response[Any]:
    """Litestar's door to the edge; `hook_front.py` answers the same URLs before routing."""
    state = request.app.state
    busy = refuse_when_backlogged(state, state.settings.inbound.max_backlog)
    if busy is not None:  # nothing stored: the sender retries after Retry-After
        return busy
    return await answer_hook(state, token, frozen_request(request.scope, await request.body()))


async def answer_hook(state: State, token: str, inbound: InboundRequest) -> Response[Any]:
    """Store the request (returns once committed), enqueue its run, and shape the answer."""
    settings: Settings = state.settings
    try:
        # Runs in a transaction shared with concurrent requests; returns once committed.
        outcome = await _store(state, settings, token, inbound)
    except (SQLAlchemyError, sqlite3.Error, OSError, TimeoutError):
        # Nothing was committed: the sender must retry, so never answer 2xx here.
        log.exception("could not store an inbound event")
        return UNAVAILABLE
    if isinstance(outcome, Response):
        return outcome
    trigger, verdict, recorded = outcome
    if recorded.run_id is not None:
        state.dispatcher.try_run_step(recorded.run_id)
    return with_cors(trigger, reply_for(trigger, verdict, recorded, inbound))


async def _store(state: State, settings: Settings, token: str, inbound: InboundRequest) -> Intake:
    committer: GroupCommitter = state.committer
    writer = committer.sqlite_writer
    if writer is None:
        unit = partial(_intake, settings=settings, token=token, inbound=inbound)
        return await committer.run(unit)
    facts: HookFacts | None = state.get("hook_facts")
    if facts is None:
        facts = state.hook_facts = HookFacts(settings)
    on_sqlite = partial(
        intake_on_sqlite, settings=settings, facts=facts, token=token, inbound=inbound
    )
    return await writer.run(on_sqlite)


@dataclass(frozen=True)
class _Hook:
    """What a batch needs to know about one URL's workflow (looked up once per batch)."""

    workflow: Workflow
    trigger: TriggerConfig
    plan: list[dict[str, Any]] | None


async def _intake(
    session: AsyncSession, *, settings: Settings, token: str, inbound: InboundRequest
) -> Response[Any] | tuple[TriggerConfig, Verdict, RecordedEvent]:
    """One request's unit of work: look up, count, decide, store (no commit, no I/O)."""
    hook = await _hook_for(session, settings, token)
    if hook is None:
        return unknown_url(retired=await is_retired_hook_token(session, token=token))
    workflow = hook.workflow
    assert workflow.id is not None
    wait = await count_hook_request(
        session,
        workflow_id=workflow.id,
        now=inbound.received_at,
        limit_per_minute=settings.inbound.rate_limit_per_minute,
    )
    if wait is not None:
        return too_many_requests(wait)
    verdict = assess_request(hook.trigger, inbound)
    if verdict.reply is not None:
        return with_cors(hook.trigger, verdict.reply)
    accepted = verdict.outcome == "accepted"
    recorded = await record_event(
        session,
        workflow_id=workflow.id,
        incoming=incoming_event(inbound, verdict),
        outcome="held" if accepted and not workflow.enabled else verdict.outcome,
        reason=verdict.reason,
        plan=hook.plan if accepted else None,
        lease=timedelta(seconds=settings.broker.lease_seconds),
    )
    log.info(  # ids only: the body, headers and URL token are never logged
        "event received",
        extra={
            "workflow_id": workflow.id,
            "event_id": recorded.event_id,
            "run_id": recorded.run_id,
            "outcome": "duplicate" if recorded.duplicate else verdict.outcome,
        },
    )
    return hook.trigger, verdict, recorded


async def _hook_for(session: AsyncSession, settings: Settings, token: str) -> _Hook | None:
    """The URL's workflow, trigger and plan, memoised for the batch (one session per batch)."""
    memo: dict[str, _Hook | None] = session.info.setdefault("hooks_by_token", {})
    if token in memo:
        return memo[token]
    workflow = await find_workflow_by_hook_token(session, token=token)
    hook = None
    if workflow is not None:
        assert workflow.id is not None
        trigger = TriggerConfig.model_validate(open_trigger(settings, workflow.trigger))
        plan = None
        if workflow.enabled:
            steps = await list_workflow_steps(session, workflow_id=workflow.id)
            plan = plan_from_steps(step_definitions(steps))
        hook = _Hook(workflow=workflow, trigger=trigger, plan=plan)
    memo[token] = hook
    return hook


def frozen_request(scope: HTTPScope, body: bytes) -> InboundRequest:
    """The request exactly as received: raw path and query (Twilio signs the URL as sent)."""
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    raw_path = raw_path.partition("?")[0]  # some ASGI clients leave the query in raw_path
    raw_query = scope.get("query_string", b"").decode("latin-1")
    return InboundRequest(
        method=scope["method"].upper(),
        url=f"{_origin(scope)}{raw_path}" + (f"?{raw_query}" if raw_query else ""),
        path=raw_path,
        raw_query=raw_query,
        headers=tuple(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
        ),
        body=body,
        received_at=utcnow(),
    )


def _origin(scope: HTTPScope) -> str:
    """`scheme://netloc` of Litestar's `request.url` (Host header first, then the server)."""
    host = next((value for name, value in scope["headers"] if name == b"host"), b"")
    server = scope.get("server")
    return _origin_of(scope.get("scheme", "http"), tuple(server) if server else None, host)


@functools.lru_cache(maxsize=64)
def _origin_of(scheme: str, server: tuple[str, int | None] | None, host: bytes) -> str:
    """Computed by Litestar itself, once per distinct host (URL parsing is not free)."""
    headers = [(b"host", host)] if host else []
    url = URL.from_scope(
        cast(Scope, {"scheme": scheme, "server": server, "path": "/", "headers": headers})
    )
    return f"{url.scheme}://{url.netloc}" if url.netloc else ""
