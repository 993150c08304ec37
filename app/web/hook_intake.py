"""Deciding what to do with one inbound request, and how to answer it.

`assess_request` is a pure decision built from `app.inbound` (parse, handshake,
method, signature, dedupe key). `reply_for` shapes the HTTP answer once the event
is committed: the workflow's custom response, or a plain-English rejection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from litestar import Response

from app.inbound.body_parsing import ParsedBody, parse_body
from app.inbound.dedupe import dedupe_key
from app.inbound.handshakes import answer_handshake
from app.inbound.request import InboundRequest
from app.inbound.signatures import verify_signature
from app.inbound.trigger_config import TriggerConfig
from app.store.events import IncomingEvent, RecordedEvent
from app.workflows.exact_json import dump_exact_json
from app.workflows.templating import TemplateProblem, render_text

INFO_TEXT = (
    "This is a Hookline webhook URL. Paste it into your app's webhook settings; "
    "requests sent with {methods} start the workflow."
)


@dataclass(frozen=True)
class Verdict:
    """What the edge decided before storing anything."""

    outcome: Literal["accepted", "rejected", "none"]
    parsed: ParsedBody
    reason: str | None = None
    status: int = 202
    dedupe_key: str | None = None
    reply: Response[Any] | None = None
    warnings: tuple[str, ...] = field(default=())


def assess_request(trigger: TriggerConfig, inbound: InboundRequest) -> Verdict:
    parsed = parse_body(inbound.content_type, inbound.body)
    handshake = answer_handshake(trigger, inbound, parsed)
    if handshake is not None:
        reply = Response(
            content=handshake.body,
            status_code=handshake.status,
            media_type=handshake.content_type,
        )
        return Verdict(outcome="none", parsed=parsed, reply=reply)
    methods: list[str] = list(trigger.methods)
    if inbound.method == "OPTIONS":
        return Verdict(outcome="none", parsed=parsed, reply=_preflight(trigger, methods))
    if inbound.method in ("GET", "HEAD") and inbound.method not in methods:
        text = "" if inbound.method == "HEAD" else INFO_TEXT.format(methods=" or ".join(methods))
        reply = Response(content=text.encode(), status_code=200, media_type="text/plain")
        return Verdict(outcome="none", parsed=parsed, reply=reply)
    if inbound.method not in methods:
        reason = (
            f"This workflow is set to start on {' or '.join(methods)} requests, "
            f"but this one was {inbound.method}."
        )
        return Verdict(outcome="rejected", parsed=parsed, reason=reason, status=405)
    signature = verify_signature(trigger.signature, inbound, now=inbound.received_at)
    if not signature.ok:
        return Verdict(outcome="rejected", parsed=parsed, reason=signature.reason, status=401)
    key = dedupe_key(trigger, inbound, parsed)
    return Verdict(outcome="accepted", parsed=parsed, dedupe_key=key)


def _preflight(trigger: TriggerConfig, methods: list[str]) -> Response[Any]:
    allow = ", ".join([*methods, "OPTIONS"])
    headers = {"Allow": allow}
    if trigger.allow_browser_senders:
        headers.update(
            {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": allow,
                "Access-Control-Allow-Headers": "*",
                "Access-Control-Max-Age": "86400",
            }
        )
    return Response(content=b"", status_code=204, headers=headers)


def incoming_event(inbound: InboundRequest, verdict: Verdict) -> IncomingEvent:
    parsed = verdict.parsed
    return IncomingEvent(
        method=inbound.method,
        path=inbound.path,
        query_string=inbound.raw_query,
        headers=[[name, value] for name, value in inbound.headers],
        content_type=inbound.content_type,
        body=inbound.body,
        body_kind=parsed.kind,
        parsed_json=None if parsed.kind == "empty" else _exact_or_none(parsed.value),
        dedupe_key=verdict.dedupe_key,
        warnings=list(parsed.warnings),
        received_at=inbound.received_at,
    )


def _exact_or_none(value: Any) -> str | None:
    try:
        return dump_exact_json(value)
    except (TypeError, ValueError):
        return None


def reply_for(
    trigger: TriggerConfig, verdict: Verdict, recorded: RecordedEvent, inbound: InboundRequest
) -> Response[Any]:
    if verdict.outcome == "rejected":
        rejection = {"error": verdict.reason, "event_id": recorded.event_id}
        return Response(content=rejection, status_code=verdict.status)
    headers = {"X-Hookline-Event-Id": str(recorded.event_id)}
    if recorded.duplicate:
        headers["X-Hookline-Duplicate"] = "true"
    configured = trigger.response
    if configured.body is None:
        content: dict[str, Any] = {"event_id": recorded.event_id}
        if recorded.duplicate:
            content["duplicate"] = True
        return Response(content=content, status_code=configured.status, headers=headers)
    context = {"event_id": recorded.event_id, "trigger": {"method": inbound.method}}
    try:
        text = render_text(configured.body, context).value
    except TemplateProblem:
        text = configured.body
    return Response(
        content=text,
        status_code=configured.status,
        media_type=configured.content_type,
        headers=headers,
    )
