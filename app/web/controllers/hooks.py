"""The webhook edge: `/hooks/{token}` turns any HTTP request into a stored event.

Order matters and is the product's promise: read the exact bytes, decide (handshake,
method, signature, duplicate), INSERT and COMMIT, then enqueue, then answer 2xx.
If the database cannot commit, the sender gets 503 and retries; nothing is acknowledged
that is not stored. If the broker is down, the sweeper enqueues the run later.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, route
from litestar.datastructures import State
from litestar.types import Method
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.exc import SQLAlchemyError

from app.inbound.request import InboundRequest
from app.inbound.trigger_config import TriggerConfig
from app.store.db import SessionFactory, transaction
from app.store.events import RecordedEvent, record_event
from app.store.tables import Workflow, utcnow
from app.store.workflows import find_workflow_by_hook_token, list_workflow_steps, step_definitions
from app.web.hook_intake import Verdict, assess_request, incoming_event, reply_for
from app.worker.broker import Dispatcher
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
    body = await request.body()
    inbound = InboundRequest(
        method=request.method.upper(),
        url=str(request.url),
        path=request.url.path,
        raw_query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=tuple(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.scope["headers"]
        ),
        body=body,
        received_at=utcnow(),
    )
    sessions: SessionFactory = request.app.state.sessions
    try:
        async with transaction(sessions) as session:
            workflow = await find_workflow_by_hook_token(session, token=token)
            if workflow is None:
                return _unknown_hook()
            trigger = TriggerConfig.model_validate(workflow.trigger or {})
            verdict = assess_request(trigger, inbound)
            if verdict.reply is not None:
                return verdict.reply
            recorded = await _store(session, workflow, inbound, verdict)
    except SQLAlchemyError:
        log.exception("could not store an inbound event")
        return UNAVAILABLE
    if recorded.run_id is not None:
        _enqueue(request.app.state.dispatcher, recorded.run_id)
    return reply_for(trigger, verdict, recorded, inbound)


async def _store(
    session: Any, workflow: Workflow, inbound: InboundRequest, verdict: Verdict
) -> RecordedEvent:
    assert workflow.id is not None
    plan = None
    if verdict.outcome == "accepted" and workflow.enabled:
        steps = await list_workflow_steps(session, workflow_id=workflow.id)
        plan = plan_from_steps(step_definitions(steps))
    outcome = "held" if verdict.outcome == "accepted" and not workflow.enabled else verdict.outcome
    return await record_event(
        session,
        workflow_id=workflow.id,
        incoming=incoming_event(inbound, verdict),
        outcome=outcome,
        reason=verdict.reason,
        plan=plan,
    )


def _enqueue(dispatcher: NamedDependency[Dispatcher], run_id: FromPath[int]) -> None:
    try:
        dispatcher.run_step(run_id)
    except Exception:  # the event is committed; the sweeper will enqueue it later
        log.warning("broker unavailable; run %s will be picked up by the sweeper", run_id)


def _unknown_hook() -> Response[Any]:
    return Response(
        content={
            "error": "No workflow has this URL. It may have been deleted, or its URL "
            "rotated: copy the current URL from the workflow's page."
        },
        status_code=404,
    )
