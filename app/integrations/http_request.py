"""The "Send an HTTP request" action: its config, template rendering and result.

The URL, each header and the body are templates over the run's data. JSON bodies are
rendered with values escaped as JSON (exact decimals kept); everything is sent through
the one guarded outbound client, and the answer becomes `steps[i].response` for later steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.integrations.base import ActionContext, ActionResult, ActionType
from app.integrations.outbound_client import (
    BlockedDestination,
    OutboundError,
    OutboundPolicy,
    send_request,
)
from app.integrations.repeat_safety import (
    is_safe_to_repeat,
    not_sent_again,
    settle_after_redirect,
)
from app.integrations.request_checks import check_header_name, describe_url_problem
from app.integrations.request_options import (
    AuthPreset,
    BodyMode,
    auth_headers,
    render_body_as,
    with_query,
)
from app.integrations.request_rendering import (
    FieldProblem,
    TemplateRenderer,
    render_headers,
)
from app.integrations.response_summary import (
    HIDDEN,
    display_request,
    summarize_response,
    without_any_password,
)
from app.workflows.templating import check_template

HELP = """\
Sends one HTTP request to another service, for example to post a message to a chat \
channel or create a record in a spreadsheet API.

Write {{ trigger.body.field }} anywhere in the address, a header or the body to use data \
from the webhook that started the run, or {{ steps[0].response.body.id }} to use what an \
earlier step got back. A body that looks like JSON is filled in safely: quotes and special \
characters in the data are escaped and numbers keep every digit.

Any 2xx answer counts as success. Other answers, timeouts and unreachable addresses mark \
the step as failed, with the reason shown in the run. Hookline never calls private or \
local network addresses unless the operator allowed them."""


class HttpRequestConfig(BaseModel):
    """What the user fills in for an HTTP request step."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "POST"
    url: str = Field(min_length=1, max_length=8000, examples=["https://api.example.com/items"])
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | dict[str, Any] | list[Any] | None = None
    timeout_seconds: float | None = Field(default=None, gt=0, le=600)
    strict_templates: bool = False
    repeat_safe: bool = Field(
        default=False,
        title="Safe to send twice",
        description=(
            "If a worker stops while this request is in flight, send it again. GET, PUT, "
            "DELETE and requests with an Idempotency-Key header are always repeated."
        ),
    )
    query: dict[str, str] = Field(
        default_factory=dict,
        title="Query parameters",
        description="Added to the address as ?name=value; values may use templates.",
    )
    body_mode: BodyMode = Field(
        default="auto",
        title="Body format",
        description="auto: JSON if it looks like JSON; json; form (name=value pairs); raw text.",
    )
    auth: AuthPreset = Field(
        default="none",
        title="Authentication",
        description="none, bearer token, basic (username and password) or an API-key header.",
    )
    token: str | None = Field(default=None, title="Bearer token")
    username: str | None = Field(default=None, max_length=500, title="Username")
    password: str | None = Field(default=None, title="Password")
    api_key: str | None = Field(default=None, title="API key")
    api_key_header: str = Field(default="X-API-Key", max_length=100, title="API-key header name")

    @field_validator("url")
    @classmethod
    def _url_is_web_address(cls, url: str) -> str:
        problem = describe_url_problem(url.strip(), templated="{" in url)
        if problem is not None:
            raise ValueError(problem)
        return url.strip()

    @field_validator("headers")
    @classmethod
    def _header_names_are_valid(cls, headers: dict[str, str]) -> dict[str, str]:
        for name in headers:
            check_header_name(name)
        return headers

    @field_validator("api_key_header")
    @classmethod
    def _api_key_header_is_valid(cls, name: str) -> str:
        check_header_name(name)
        return name

    @model_validator(mode="after")
    def _auth_has_credentials(self) -> HttpRequestConfig:
        needed = {"bearer": "token", "basic": "username", "api_key": "api_key"}.get(self.auth)
        if needed is not None and not getattr(self, needed):
            raise ValueError(f"The {self.auth} authentication needs a {needed.replace('_', ' ')}.")
        return self


@dataclass(frozen=True)
class PreparedRequest:
    """A fully rendered request, ready to send and to show."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str | None


class HttpRequestAction(ActionType[HttpRequestConfig]):
    """Built-in action: send an HTTP request built from templates."""

    type_name = "http_request"
    title = "Send an HTTP request"
    help = HELP
    config_model = HttpRequestConfig

    def validate_templates(self, config: HttpRequestConfig) -> dict[str, str]:
        problems: dict[str, str] = {}
        for field, source in _templated_fields(config):
            problem = check_template(source)
            if problem is not None:
                problems.setdefault(field, problem)
        return problems

    async def execute(self, config: HttpRequestConfig, ctx: ActionContext) -> ActionResult:
        started = time.monotonic()
        on_missing = "error" if config.strict_templates else ctx.on_missing
        renderer = TemplateRenderer(ctx.template_context, on_missing)
        try:
            prepared = prepare_request(config, renderer)
        except FieldProblem as problem:
            return _failed(problem.message, None, renderer.warnings, started)
        request_display = display_request(
            prepared.method, prepared.url, prepared.headers, prepared.body
        )
        if config.auth == "api_key":
            request_display["headers"] = _hide_header(
                request_display["headers"], config.api_key_header
            )
        try:
            response = await send_request(
                ctx.client,
                _policy_for(config, ctx.policy),
                method=prepared.method,
                url=prepared.url,
                headers=prepared.headers,
                content=None if prepared.body is None else prepared.body.encode("utf-8"),
            )
        except BlockedDestination as exc:
            return _failed(exc.message, request_display, renderer.warnings, started)
        except OutboundError as exc:
            if exc.maybe_delivered and not self._safe_to_repeat(config):
                message = not_sent_again(exc.message)
                return _failed(message, request_display, renderer.warnings, started)
            return _failed(exc.message, request_display, renderer.warnings, started, True)
        result = summarize_response(response, request_display, tuple(renderer.warnings))
        if not response.redirects:
            return result
        safe = self._safe_to_repeat(config)
        return settle_after_redirect(result, redirects=response.redirects, safe=safe)

    def _safe_to_repeat(self, config: HttpRequestConfig) -> bool:
        return is_safe_to_repeat({"type": self.type_name, "config": config.model_dump()})


def prepare_request(config: HttpRequestConfig, renderer: TemplateRenderer) -> PreparedRequest:
    """Render URL, headers and body (raises FieldProblem naming the field at fault)."""
    url = renderer.text("URL", config.url).strip()
    problem = describe_url_problem(url, templated=False)
    if problem is not None:
        raise FieldProblem(f"URL: {problem} (it came out as {without_any_password(url)!r})")
    url = with_query(url, config.query, renderer)
    headers = render_headers(config.headers, renderer)
    preset = auth_headers(
        config.auth,
        token=config.token,
        username=config.username,
        password=config.password,
        api_key=config.api_key,
        api_key_header=config.api_key_header,
    )
    preset_names = {name.lower() for name, _ in preset}
    headers = [pair for pair in headers if pair[0].lower() not in preset_names] + preset
    body, default_type = render_body_as(config.body_mode, config.body, headers, renderer)
    if default_type is not None and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", default_type))
    return PreparedRequest(config.method, url, headers, body)


def _templated_fields(config: HttpRequestConfig) -> list[tuple[str, str]]:
    fields = [("url", config.url)]
    fields += [(f"query.{name}", value) for name, value in config.query.items()]
    fields += [(f"headers.{name}", value) for name, value in config.headers.items()]
    fields += [("body", text) for text in _body_strings(config.body)]
    return fields


def _body_strings(body: Any) -> list[str]:
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        keys = [str(key) for key in body]
        return keys + [text for item in body.values() for text in _body_strings(item)]
    if isinstance(body, list):
        return [text for item in body for text in _body_strings(item)]
    return []


def _hide_header(headers: list[tuple[str, str]], secret_name: str) -> list[tuple[str, str]]:
    lowered = secret_name.lower()
    return [(name, HIDDEN if name.lower() == lowered else value) for name, value in headers]


def _policy_for(config: HttpRequestConfig, policy: OutboundPolicy) -> OutboundPolicy:
    """The step's own timeout, never longer than the operator's limits."""
    if config.timeout_seconds is None:
        return policy
    return replace(
        policy,
        read_timeout=min(config.timeout_seconds, policy.read_timeout),
        total_timeout=min(config.timeout_seconds, policy.total_timeout),
    )


def _failed(
    error: str,
    request: dict[str, Any] | None,
    warnings: list[str],
    started: float,
    retryable: bool = False,
) -> ActionResult:
    return ActionResult(
        outcome="failed",
        request=request,
        response=None,
        output=None,
        error=error,
        warnings=tuple(warnings),
        duration_ms=int((time.monotonic() - started) * 1000),
        retryable=retryable,
    )
