"""Deciding what to do with one inbound request, and how to answer it.

`assess_request` is a pure decision built from `app.inbound`, in this order:
1. handshakes the sender does not sign (Meta `hub.challenge`, the echo option);
2. the request's shape: CORS preflight, informational GET/HEAD, methods not accepted;
3. the signature, over the exact bytes;
4. Slack's `url_verification`, which Slack signs, so it is answered only after step 3;
5. the dedupe key.
`reply_for` shapes the HTTP answer once the event is committed: the workflow's custom
response (its body template sees `trigger` like steps do), or a plain-English rejection.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from litestar import Response

from app.inbound.body_parsing import ParsedBody, parse_body
from app.inbound.content_encoding import decoded_body
from app.inbound.dedupe import dedupe_key
from app.inbound.handshakes import answer_handshake
from app.inbound.request import InboundRequest
from app.inbound.signatures import verify_signature
from app.inbound.trigger_config import TriggerConfig
from app.settings import Settings
from app.store.events import IncomingEvent, IncomingFile, RecordedEvent
from app.store.sealing import open_trigger
from app.store.stored_hook import StoredHook
from app.workflows.definition import StepDefinition, plan_from_steps
from app.workflows.engine import trigger_context
from app.workflows.exact_json import dump_exact_json
from app.workflows.templating import TemplateProblem, render_text

log = logging.getLogger("hookline.hooks")

UNKNOWN = (
    "No workflow has this URL. It may have been deleted: copy the current URL from "
    "the workflow's page."
)
ROTATED = (
    "This webhook URL was replaced by a new one and no longer accepts requests. "
    "Copy the current URL from the workflow's page in Hookline."
)
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


StepRows = tuple[tuple[str, str | None, bool, str], ...]


class HookFacts:
    """Decrypted triggers and plans, keyed by the stored JSON they were built from."""

    def __init__(self, settings: Settings, size: int = 1024) -> None:
        self.settings = settings
        self.trigger = functools.lru_cache(maxsize=size)(self._trigger)
        self.plan = functools.lru_cache(maxsize=size)(self._plan)

    def _trigger(self, trigger_json: str | None) -> TriggerConfig:
        stored = json.loads(trigger_json) if trigger_json is not None else None
        return TriggerConfig.model_validate(open_trigger(self.settings, stored))

    def _plan(self, steps: StepRows) -> list[dict[str, Any]]:
        definitions = [
            StepDefinition(type=kind, name=name, enabled=enabled, config=json.loads(config))
            for kind, name, enabled, config in steps
        ]
        return plan_from_steps(definitions)

    def plan_for(self, hook: StoredHook) -> list[dict[str, Any]] | None:
        """The run plan of an enabled workflow; None for one switched off (events held)."""
        return self.plan(hook.steps_json) if hook.enabled else None


def assess_request(trigger: TriggerConfig, inbound: InboundRequest) -> Verdict:
    readable, notes = decoded_body(inbound.header("content-encoding"), inbound.body)
    parsed = parse_body(inbound.content_type, readable)
    if notes:
        parsed = replace(parsed, warnings=notes + parsed.warnings)
    signed_handshake = _slack_handshake_enabled(trigger)
    if not signed_handshake:
        handshake = _handshake(trigger, inbound, parsed)
        if handshake is not None:
            return handshake
    shape = _check_shape(trigger, inbound, parsed)
    if shape is not None:
        return shape
    signature = verify_signature(trigger.signature, inbound, now=inbound.received_at)
    if not signature.ok:
        return Verdict(outcome="rejected", parsed=parsed, reason=signature.reason, status=401)
    if signed_handshake:
        handshake = _handshake(trigger, inbound, parsed)
        if handshake is not None:
            return handshake
    key = dedupe_key(trigger, inbound, parsed)
    return Verdict(outcome="accepted", parsed=parsed, dedupe_key=key)


def _slack_handshake_enabled(trigger: TriggerConfig) -> bool:
    preset = trigger.handshake.preset
    return preset == "slack" or (preset == "none" and trigger.signature.preset == "slack")


def _handshake(
    trigger: TriggerConfig, inbound: InboundRequest, parsed: ParsedBody
) -> Verdict | None:
    answer = answer_handshake(trigger, inbound, parsed)
    if answer is None:
        return None
    reply = Response(content=answer.body, status_code=answer.status, media_type=answer.content_type)
    return Verdict(outcome="none", parsed=parsed, reply=reply)


def _check_shape(
    trigger: TriggerConfig, inbound: InboundRequest, parsed: ParsedBody
) -> Verdict | None:
    """Preflight, informational GET/HEAD, or a method the workflow does not accept."""
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
    return None


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


def unknown_url(*, retired: bool) -> Response[Any]:
    """410 for a URL replaced by "rotate URL", 404 for one that never existed or was deleted."""
    if retired:
        return Response(content=ROTATED, status_code=410, media_type="text/plain")
    return Response(content={"error": UNKNOWN}, status_code=404)


# Far above what any vendor sends (GitHub, Stripe, Shopify: a few kB), well below what
# would let headers bypass the body limit. The server parses headers unbounded.
MAX_HEADER_BYTES = 64 * 1024


def headers_too_large(inbound: InboundRequest) -> Response[Any] | None:
    """431 when the request's headers are larger than any sender needs; nothing is stored."""
    size = sum(len(name) + len(value) for name, value in inbound.headers)
    if size <= MAX_HEADER_BYTES:
        return None
    return Response(
        content={
            "error": f"The request's headers are too large ({size // 1024} KB); Hookline "
            f"accepts at most {MAX_HEADER_BYTES // 1024} KB of headers. Nothing was stored."
        },
        status_code=431,
    )


def log_received(workflow_id: int, recorded: RecordedEvent, verdict: Verdict) -> None:
    log.info(  # ids only: the body, headers and URL token are never logged
        "event received",
        extra={
            "workflow_id": workflow_id,
            "event_id": recorded.event_id,
            "run_id": recorded.run_id,
            "outcome": "duplicate" if recorded.duplicate else verdict.outcome,
        },
    )


def too_many_requests(wait_seconds: int) -> Response[Any]:
    return Response(
        content={
            "error": "This webhook URL received too many requests this minute. "
            f"Retry in {wait_seconds} seconds."
        },
        status_code=429,
        headers={"Retry-After": str(wait_seconds)},
    )


def with_cors(trigger: TriggerConfig, response: Response[Any]) -> Response[Any]:
    """Let browser pages read the answer when the user allowed browser senders."""
    if trigger.allow_browser_senders:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "X-Hookline-Event-Id"
    return response


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
        files=[
            IncomingFile(
                field_name=upload.field,
                filename=upload.filename,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
                data=upload.data,
            )
            for upload in parsed.files
        ],
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
            content.update(duplicate=True, duplicate_of=recorded.duplicate_of)
        return Response(content=content, status_code=configured.status, headers=headers)
    return Response(
        content=_render_reply_body(configured.body, verdict, recorded, inbound),
        status_code=configured.status,
        media_type=configured.content_type,
        headers=headers,
    )


def _render_reply_body(
    template: str, verdict: Verdict, recorded: RecordedEvent, inbound: InboundRequest
) -> str:
    """The custom body; a template that fails to render is sent as typed (and never 5xx)."""
    trigger = trigger_context(
        method=inbound.method,
        headers=[[name, value] for name, value in inbound.headers],
        query_pairs=inbound.query_pairs,
        raw_query=inbound.raw_query,
        body=verdict.parsed.value,
        content_type=inbound.content_type,
        event_id=recorded.event_id,
        received_at=inbound.received_at.isoformat(),
    )
    context = {"event_id": recorded.event_id, "duplicate": recorded.duplicate, "trigger": trigger}
    try:
        return str(render_text(template, context).value)
    except TemplateProblem:
        return template
