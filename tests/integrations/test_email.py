"""The e-mail step against a real aiosmtpd SMTP server on 127.0.0.1 (plain, STARTTLS, SSL)."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.integrations.base import ActionContext, ActionResult
from app.integrations.email import EmailAction, EmailConfig
from app.integrations.outbound_client import OutboundPolicy
from tests.integrations.conftest import LOOPBACK_ALLOWED

DATA = {
    "trigger": {
        "body": {
            "customer": {"name": "Ada <script>", "email": "ada@example.com"},
            "amount": 2000,
            "team": "ops@example.com, Billing <billing@example.com>",
        }
    },
    "steps": [],
}


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Ok: queued as 4242"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"shop", b"pw-1234")
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(**kwargs: Any) -> Iterator[Mailbox]:
    mailbox = Mailbox("127.0.0.1", _free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **kwargs)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def plain_smtp() -> Iterator[Mailbox]:
    yield from _serve(authenticator=_authenticate, auth_require_tls=False)


@pytest.fixture
def server_tls(test_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    test_ca.issue_cert("localhost").configure_cert(context)
    return context


@pytest.fixture
def starttls_smtp(server_tls: ssl.SSLContext) -> Iterator[Mailbox]:
    yield from _serve(tls_context=server_tls, require_starttls=True, authenticator=_authenticate)


@pytest.fixture
def ssl_smtp(server_tls: ssl.SSLContext) -> Iterator[Mailbox]:
    yield from _serve(ssl_context=server_tls, authenticator=_authenticate)


@pytest.fixture
def client_tls(test_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    test_ca.configure_trust(context)
    return context


@pytest.fixture
async def context() -> AsyncIterator[ActionContext]:
    async with httpx.AsyncClient() as client:  # unused by e-mail; the contract requires one
        yield ActionContext(DATA, client, LOOPBACK_ALLOWED, "warn")


def config(mailbox: Mailbox, **overrides: Any) -> EmailConfig:
    values: dict[str, Any] = {
        "host": "localhost",
        "port": mailbox.port,
        "tls": "none",
        "from_address": "Shop <shop@example.com>",
        "to": "{{ trigger.body.customer.email }}",
        "cc": "{{ trigger.body.team }}",
        "subject": "Thanks {{ trigger.body.customer.name }}",
        "text_body": "You paid {{ trigger.body.amount }} cents.",
        "html_body": "<p>Hello <b>{{ trigger.body.customer.name }}</b></p>",
    }
    return EmailConfig.model_validate(values | overrides)


async def send(
    ctx: ActionContext, cfg: EmailConfig, tls: ssl.SSLContext | None = None
) -> ActionResult:
    return await EmailAction(tls_context=tls).execute(cfg, ctx)


async def test_email_arrives_with_rendered_recipients_subject_and_both_bodies(
    plain_smtp: Mailbox, context: ActionContext
) -> None:
    result = await send(context, config(plain_smtp, username="shop", password="pw-1234"))

    assert result.outcome == "succeeded", result.error
    [(sender, recipients, message)] = plain_smtp.messages
    assert sender == "shop@example.com"
    assert recipients == ["ada@example.com", "ops@example.com", "billing@example.com"]
    assert message["Subject"] == "Thanks Ada <script>"
    assert message.get_body(("plain",)).get_content().strip() == "You paid 2000 cents."
    html = message.get_body(("html",)).get_content()
    assert "<b>Ada &lt;script&gt;</b>" in html
    sent = result.output["email"]
    assert sent["to"] == ["ada@example.com"]
    assert sent["cc"] == ["ops@example.com", "billing@example.com"]
    assert sent["message_id"] == message["Message-ID"]
    assert "queued as 4242" in sent["server_reply"]
    assert "pw-1234" not in str(result.request)


async def test_wrong_password_fails_without_retry(
    plain_smtp: Mailbox, context: ActionContext
) -> None:
    result = await send(context, config(plain_smtp, username="shop", password="nope"))

    assert result.outcome == "failed"
    assert result.error.startswith("The mail server refused the username or password")
    assert not result.retryable
    assert plain_smtp.messages == []


async def test_starttls_delivers_over_a_verified_tls_connection(
    starttls_smtp: Mailbox, context: ActionContext, client_tls: ssl.SSLContext
) -> None:
    cfg = config(starttls_smtp, tls="starttls", username="shop", password="pw-1234")

    result = await send(context, cfg, client_tls)

    assert result.outcome == "succeeded", result.error
    assert len(starttls_smtp.messages) == 1


async def test_ssl_mode_delivers_over_implicit_tls(
    ssl_smtp: Mailbox, context: ActionContext, client_tls: ssl.SSLContext
) -> None:
    result = await send(context, config(ssl_smtp, tls="ssl"), client_tls)

    assert result.outcome == "succeeded", result.error
    assert len(ssl_smtp.messages) == 1


async def test_untrusted_certificate_is_refused(
    starttls_smtp: Mailbox, context: ActionContext
) -> None:
    result = await send(context, config(starttls_smtp, tls="starttls"))  # default CAs

    assert result.outcome == "failed"
    assert starttls_smtp.messages == []


async def test_smtp_to_a_private_address_is_blocked_by_the_outbound_policy(
    plain_smtp: Mailbox,
) -> None:
    async with httpx.AsyncClient() as client:
        ctx = ActionContext(DATA, client, OutboundPolicy(), "warn")
        result = await send(ctx, config(plain_smtp))

    assert result.outcome == "failed"
    assert "does not call private or local addresses" in result.error
    assert plain_smtp.messages == []


async def test_rendered_recipient_that_is_not_an_address_fails_before_connecting(
    plain_smtp: Mailbox, context: ActionContext
) -> None:
    result = await send(context, config(plain_smtp, to="{{ trigger.body.customer.name }}"))

    assert result.outcome == "failed"
    assert result.error.startswith("To: ")
    assert "is not an e-mail address" in result.error


async def test_closed_port_fails_as_retryable(context: ActionContext) -> None:
    result = await send(context, config(Mailbox("127.0.0.1", _free_port())))

    assert result.outcome == "failed"
    assert "connection refused" in result.error
    assert result.retryable
