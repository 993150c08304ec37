"""The webhook edge: `/hooks/{token}` turns any HTTP request into a stored event.

Order matters and is the product's promise: read the exact bytes (Litestar answers
413 above `request_max_body_size` before anything is stored), count the request
against the hook's rate limit, decide (handshake, method, signature, duplicate),
INSERT and COMMIT, then hand the run to the broker (from a background thread: a slow
broker never delays the answer), then answer 2xx. If the database cannot commit, the
sender gets 503 and retries; nothing is acknowledged that is not stored. If the broker
is down, or the process dies before the enqueue, the sweeper enqueues the run later.
A disabled workflow still stores events ("held"); only deleting the workflow (404) or
rotating its URL (410) stops a URL.

Lean on purpose (issue 7): no session cookie, CSRF or DI on this route, Core inserts,
and the whole decision runs as one unit of a group commit, so concurrent requests share
one transaction and one fsync; each is answered only after that commit. On SQLite the
unit runs synchronously on the writer thread (hook_intake_sqlite.py); on PostgreSQL it
runs on the loop in the `GroupCommitter`'s shared async transaction.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
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
from app.store.intake_pg import NOT_HERE, find_hook_on_postgres
from app.store.rate_limits import count_hook_request
from app.store.stored_hook import StoredHook
from app.store.tables import utcnow
from app.store.workflows import find_workflow_by_hook_token, list_workflow_steps
from app.web.hook_intake import (
    HookFacts,
    Verdict,
    assess_request,
    headers_too_large,
    incoming_event,
    log_received,
    reply_for,
    too_many_requests,
    unknown_url,
    with_cors,
)
from app.web.hook_intake_backlog import refuse_when_backlogged
from app.web.hook_intake_sqlite import Intake, intake_on_sqlite

log = logging.getLogger("hookline.hooks")

HOOK_METHODS: list[Method] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Senders give up after ~10 s and retry: answer 503 (nothing stored) before that rather
# than store an event whose 2xx nobody reads, which the retry would store again.
INTAKE_LOCK_WAIT_SECONDS = 8.0
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
    oversized = headers_too_large(inbound)
    if oversized is not None:
        return oversized
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
        state.dispatcher.run_step_soon(recorded.run_id)  # never blocks on the broker
    return with_cors(trigger, reply_for(trigger, verdict, recorded, inbound))


async def _store(state: State, settings: Settings, token: str, inbound: InboundRequest) -> Intake:
    committer: GroupCommitter = state.committer
    writer = committer.sqlite_writer
    facts: HookFacts | None = state.get("hook_facts")
    if facts is None:
        facts = state.hook_facts = HookFacts(settings)
    if writer is None:
        unit = partial(_intake, settings=settings, facts=facts, token=token, inbound=inbound)
        return await committer.run(unit)
    on_sqlite = partial(
        intake_on_sqlite, settings=settings, facts=facts, token=token, inbound=inbound
    )
    return await writer.run(on_sqlite, wait_at_most=INTAKE_LOCK_WAIT_SECONDS)


async def _intake(
    session: AsyncSession,
    *,
    settings: Settings,
    facts: HookFacts,
    token: str,
    inbound: InboundRequest,
) -> Response[Any] | tuple[TriggerConfig, Verdict, RecordedEvent]:
    """One request's unit of work: look up, count, decide, store (no commit, no I/O)."""
    hook = await _hook_for(session, token)
    if hook is None:
        return unknown_url(retired=await is_retired_hook_token(session, token=token))
    wait = await count_hook_request(
        session,
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
    recorded = await record_event(
        session,
        workflow_id=hook.workflow_id,
        incoming=incoming_event(inbound, verdict),
        outcome="held" if accepted and not hook.enabled else verdict.outcome,
        reason=verdict.reason,
        plan=facts.plan_for(hook) if accepted else None,
        lease=timedelta(seconds=settings.broker.lease_seconds),
    )
    log_received(hook.workflow_id, recorded, verdict)
    return trigger, verdict, recorded


async def _hook_for(session: AsyncSession, token: str) -> StoredHook | None:
    """The URL's workflow as stored, memoised for the batch (one session per batch).

    The decrypted trigger and the plan come from `HookFacts`, keyed by this content, so an
    edit committed before the batch began applies to it.
    """
    memo: dict[str, StoredHook | None] = session.info.setdefault("hooks_by_token", {})
    if token in memo:
        return memo[token]
    found = await find_hook_on_postgres(session, token=token)
    if found == NOT_HERE:  # not PostgreSQL, or no transaction yet: the ORM reads the same
        found = await _stored_hook(session, token)
    memo[token] = found
    return found


async def _stored_hook(session: AsyncSession, token: str) -> StoredHook | None:
    workflow = await find_workflow_by_hook_token(session, token=token)
    if workflow is None:
        return None
    assert workflow.id is not None
    steps = await list_workflow_steps(session, workflow_id=workflow.id)
    return StoredHook(
        workflow_id=workflow.id,
        enabled=workflow.enabled,
        trigger_json=None if workflow.trigger is None else json.dumps(workflow.trigger),
        steps_json=tuple(
            (step.type, step.name, step.enabled, json.dumps(step.config)) for step in steps
        ),
    )


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
