"""The "Send an e-mail" action: SMTP with templated recipients, subject and bodies.

Output (`steps[i].email`): `message_id`, `from`, `to` and `cc` (lists of addresses),
`subject` and `server_reply` (what the mail server said when it accepted the message).
"""

from __future__ import annotations

import email.utils
import ssl
import time
from collections.abc import Mapping
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.integrations.base import ActionContext, ActionResult, ActionType
from app.integrations.request_rendering import FieldProblem, TemplateRenderer
from app.integrations.smtp_delivery import (
    DeliveryFailed,
    SmtpServer,
    TlsMode,
    default_tls_context,
    deliver,
)
from app.integrations.ssrf_guard import BlockedDestination
from app.integrations.step_results import failed, finished
from app.workflows.templating import check_template

MAX_RECIPIENTS = 50
_TEMPLATED = ("to", "cc", "subject", "text_body", "html_body")

HELP = """\
Sends an e-mail through your mail provider's SMTP server (for example smtp.gmail.com, \
smtp.office365.com or your transactional e-mail service). Fill in the server, port and \
security your provider documents: usually port 587 with STARTTLS, or 465 with SSL, plus \
a username and password (an app password for Gmail).

To, Cc, Subject and both bodies can use {{ trigger.body.field }}; separate several \
recipients with commas. The plain-text body is always sent; add an HTML body for \
formatted mail, and data you insert into it is escaped so it shows as text."""


class EmailConfig(BaseModel):
    """What the user fills in for an e-mail step."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=253, title="SMTP server", examples=["smtp.x.com"])
    port: int = Field(default=587, ge=1, le=65535, title="Port")
    tls: TlsMode = Field(
        default="starttls",
        title="Security",
        description="starttls (usually port 587), ssl (usually 465) or none (not recommended).",
    )
    username: str | None = Field(default=None, max_length=500, title="Username")
    password: str | None = Field(default=None, title="Password")
    from_address: str = Field(
        min_length=3, max_length=500, title="From", description='e.g. "Shop <shop@example.com>"'
    )
    to: str = Field(min_length=1, max_length=4000, title="To", description="Comma separated.")
    cc: str = Field(default="", max_length=4000, title="Cc", description="Comma separated.")
    subject: str = Field(min_length=1, max_length=2000, title="Subject")
    text_body: str = Field(min_length=1, max_length=256 * 1024, title="Message (plain text)")
    html_body: str | None = Field(default=None, max_length=512 * 1024, title="Message (HTML)")

    @field_validator("host")
    @classmethod
    def _host_is_a_name(cls, host: str) -> str:
        host = host.strip()
        if any(char in host for char in " /:@{}"):
            raise ValueError("Give only the server name, like smtp.example.com.")
        return host

    @field_validator("from_address")
    @classmethod
    def _from_is_an_address(cls, value: str) -> str:
        return ", ".join(parse_addresses("From", value, limit=1))


def parse_addresses(field: str, text: str, *, limit: int = MAX_RECIPIENTS) -> list[str]:
    """Comma-separated addresses, each checked (raises ValueError naming the field)."""
    if "\r" in text or "\n" in text:
        raise ValueError(f"{field}: addresses cannot contain line breaks.")
    pairs = email.utils.getaddresses([text])
    found = [(name, address) for name, address in pairs if name or address]
    for _name, address in found:
        local, at, domain = address.rpartition("@")
        if not (local and at and "." in domain) or " " in address:
            raise ValueError(f"{field}: {address or text!r} is not an e-mail address.")
    if len(found) > limit:
        raise ValueError(f"{field}: at most {limit} address(es).")
    return [email.utils.formataddr(pair) for pair in found]


class EmailAction(ActionType[EmailConfig]):
    """Built-in action: send an e-mail over SMTP."""

    type_name = "email"
    title = "Send an e-mail"
    help = HELP
    config_model = EmailConfig

    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        """`tls_context` defaults to certifi's CAs; tests pass one trusting a test CA."""
        self._tls_context = tls_context

    def validate_templates(self, config: EmailConfig) -> dict[str, str]:
        problems: dict[str, str] = {}
        for name in _TEMPLATED:
            source = getattr(config, name)
            problem = check_template(source) if source else None
            if problem is not None:
                problems[name] = problem
        return problems

    async def execute(self, config: EmailConfig, ctx: ActionContext) -> ActionResult:
        started = time.monotonic()
        renderer = TemplateRenderer(ctx.template_context, ctx.on_missing)
        try:
            message = build_message(config, renderer)
        except FieldProblem as problem:
            return failed(problem.message, started, renderer.warnings)
        shown = _display(config, message)
        server = SmtpServer(config.host, config.port, config.tls, config.username, config.password)
        tls_context = self._tls_context or default_tls_context()
        try:
            reply = await deliver(message, server, ctx.policy, tls_context)
        except (BlockedDestination, DeliveryFailed) as exc:
            retry = isinstance(exc, DeliveryFailed) and exc.retryable
            result = failed(exc.message, started, renderer.warnings)
            return replace(result, request=shown, retryable=retry)
        output = {"email": {**_summary(message), "server_reply": reply}}
        return replace(finished("succeeded", output, started, renderer.warnings), request=shown)


def build_message(config: EmailConfig, renderer: TemplateRenderer) -> EmailMessage:
    """Render every templated field into a ready-to-send message (raises FieldProblem)."""
    message = EmailMessage()
    try:
        to = parse_addresses("To", renderer.text("To", config.to))
        cc = parse_addresses("Cc", renderer.text("Cc", config.cc))
        subject = renderer.text("Subject", config.subject).strip()
    except ValueError as exc:
        raise FieldProblem(str(exc)) from exc
    if not to:
        raise FieldProblem("To: there is no recipient after filling in the values.")
    if "\r" in subject or "\n" in subject:
        raise FieldProblem("Subject: the subject cannot contain line breaks.")
    message["From"] = config.from_address
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain=_domain_of(config.from_address))
    message.set_content(renderer.text("Message", config.text_body))
    if config.html_body:
        escaped = TemplateRenderer(_html_escaped(renderer.context), renderer.on_missing)
        message.add_alternative(escaped.text("HTML message", config.html_body), subtype="html")
        renderer.warnings.extend(escaped.warnings)
    return message


def _html_escaped(value: Any) -> Any:
    """The data with every text value HTML-escaped, for filling in an HTML body."""
    if isinstance(value, str):
        return str(escape(value))
    if isinstance(value, Mapping):
        return {key: _html_escaped(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_html_escaped(item) for item in value]
    return value


def _domain_of(address: str) -> str:
    return email.utils.parseaddr(address)[1].rpartition("@")[2] or "hookline.local"


def _summary(message: EmailMessage) -> dict[str, Any]:
    return {
        "message_id": message["Message-ID"],
        "from": message["From"],
        "to": [addr for _name, addr in email.utils.getaddresses([message["To"]])],
        "cc": [addr for _name, addr in email.utils.getaddresses([message["Cc"] or ""]) if addr],
        "subject": message["Subject"],
    }


def _display(config: EmailConfig, message: EmailMessage) -> dict[str, Any]:
    """What the run page shows: server, headers and the plain-text body (no password)."""
    headers = [
        (name, str(message[name])) for name in ("From", "To", "Cc", "Subject") if message[name]
    ]
    body = message.get_body(preferencelist=("plain",))
    return {
        "method": "SMTP",
        "url": f"smtp://{config.host}:{config.port} ({config.tls})",
        "headers": headers,
        "body": body.get_content() if body is not None else None,
        "body_truncated": False,
    }
