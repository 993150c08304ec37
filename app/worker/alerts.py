"""Failure alerts: counting runs as they end, and the clock's round that e-mails owners.

Counting happens in the worker, inside the transaction that ends the run. Sending
happens in the clock (or the embedded clock of `hookline serve`) through the
operator's SMTP server (SMTP_* settings); see `app.store.alerts` for why an alert can
be late but is never lost or sent twice. Without SMTP settings nothing is sent: the
clock says so once in its log, and the dashboard shows the failures.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlmodel.ext.asyncio.session import AsyncSession

from app.integrations.smtp_delivery import DeliveryFailed, SmtpServer, default_tls_context, deliver
from app.integrations.ssrf_guard import BlockedDestination, OutboundPolicy
from app.settings import Settings
from app.store.alerts import (
    AlertFacts,
    alert_facts,
    alerts_due,
    claim_alert,
    count_finished_run,
    release_alert,
    settle_alert,
)
from app.store.db import SessionFactory, transaction
from app.store.runs import UNKNOWN_OUTCOME
from app.store.tables import Run, utcnow
from app.worker.periodic import repeat_until

log = logging.getLogger("hookline.alerts")


async def count_run_end(
    session: AsyncSession,
    settings: Settings,
    *,
    workflow_id: int,
    status: str,
    error: str | None,
    our_crash: bool = False,
) -> None:
    """Count a run this transaction ended (failure streak, alert count, auto-pause)."""
    paused = await count_finished_run(
        session,
        workflow_id=workflow_id,
        failed=status == "failed",
        error=error,
        pause_after=settings.alerts.auto_pause_after_failures,
        our_crash=our_crash,
    )
    if paused:
        log.warning(
            "workflow paused after failed runs in a row", extra={"workflow_id": workflow_id}
        )


async def count_if_claim_ended_run(
    session: AsyncSession, settings: Settings, *, run_id: int, since: datetime
) -> None:
    """A claim that found nothing to run may have ended the run itself (a step whose
    outcome a crash left unknown fails it); count it when that happened just now.

    Our worker dying is not the workflow's fault: such a run is alerted ("needs your
    attention") but does not push the workflow toward an automatic pause."""
    run = await session.get(Run, run_id)
    if run is None or run.finished_at is None or run.finished_at < since:
        return
    await count_run_end(
        session,
        settings,
        workflow_id=run.workflow_id,
        status=run.status,
        error=run.error,
        our_crash=run.error == UNKNOWN_OUTCOME,
    )


def alert_message(facts: AlertFacts, settings: Settings) -> EmailMessage:
    """The alert e-mail: how many runs failed, the last error, the pause, where to look."""
    runs_url = f"{settings.app.public_base_url}/workflows/{facts.workflow_id}"
    plural = "run" if facts.failures == 1 else "runs"
    message = EmailMessage()
    if facts.paused_reason:
        message["Subject"] = f"Hookline paused your workflow “{facts.workflow_name}”"
    else:
        subject = f"{facts.failures} failed {plural} in your workflow “{facts.workflow_name}”"
        message["Subject"] = f"Hookline: {subject}"
    message["From"] = settings.alerts.smtp_from
    message["To"] = facts.owner_email
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain="hookline")
    lines = [
        "Hello,",
        "",
        f"Your Hookline workflow “{facts.workflow_name}” had {facts.failures} failed "
        f"{plural} since the last alert.",
        "",
        f"Last error: {facts.last_error or '(no message)'}",
        "",
    ]
    if facts.paused_reason:
        lines += [
            facts.paused_reason,
            "While it is off, new events are kept (held) and do not run. When you turn "
            "it back on, use “Run held events” to run them.",
            "",
        ]
    lines += [
        f"See the runs: {runs_url}",
        "",
        "You get at most one of these e-mails per workflow "
        f"{per_interval(settings.alerts.min_interval_seconds)}.",
    ]
    message.set_content("\n".join(lines))
    return message


def per_interval(seconds: float) -> str:
    """ALERT_MIN_INTERVAL_SECONDS in words: 3600 → "per hour", 90 → "every 90 seconds"."""
    whole = round(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if whole >= size and whole % size == 0:
            count = whole // size
            return f"per {unit}" if count == 1 else f"every {count} {unit}s"
    return "per second" if whole == 1 else f"every {whole} seconds"


def operator_smtp(settings: Settings) -> SmtpServer:
    alerts = settings.alerts
    assert alerts.smtp_host is not None
    return SmtpServer(
        host=alerts.smtp_host,
        port=alerts.smtp_port,
        tls=alerts.smtp_tls,
        username=alerts.smtp_user,
        password=alerts.smtp_password.get_secret_value() if alerts.smtp_password else None,
    )


def operator_policy(settings: Settings) -> OutboundPolicy:
    """The operator chose this mail server, so any address may be reached (no SSRF guard)."""
    out = settings.outbound
    return OutboundPolicy(
        allow_networks=(ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")),
        connect_timeout=out.connect_timeout,
        read_timeout=out.read_timeout,
        total_timeout=out.total_timeout,
    )


async def send_due_alerts(sessions: SessionFactory, settings: Settings, *, now: datetime) -> int:
    """Claim, send and settle every alert that is due at `now`; returns how many went out."""
    if not settings.alerts.smtp_configured:
        return 0
    interval = timedelta(seconds=settings.alerts.min_interval_seconds)
    async with transaction(sessions) as session:
        due = await alerts_due(session, now=now, min_interval=interval)
    sent = 0
    for item in due:
        async with transaction(sessions) as session:
            if not await claim_alert(session, due=item, now=now):
                continue  # another clock has it
            facts = await alert_facts(session, workflow_id=item.workflow_id)
        if facts is None:
            continue
        try:
            await _send(alert_message(facts, settings), settings)
        except (DeliveryFailed, BlockedDestination, OSError, TimeoutError) as exc:
            log.warning("could not send a failure alert; will retry: %s", exc)
            async with transaction(sessions) as session:
                await release_alert(
                    session,
                    workflow_id=item.workflow_id,
                    claimed_at=now,
                    previous=item.alert_sent_at,
                )
            continue
        async with transaction(sessions) as session:
            await settle_alert(session, workflow_id=item.workflow_id, reported=facts.failures)
        sent += 1
    return sent


async def _send(message: EmailMessage, settings: Settings) -> None:
    context = await asyncio.to_thread(default_tls_context)
    await deliver(message, operator_smtp(settings), operator_policy(settings), context)


async def alert_until(stop: asyncio.Event, sessions: SessionFactory, settings: Settings) -> None:
    """Send due alerts every ALERT_CHECK_INTERVAL_SECONDS until `stop` is set."""
    if not settings.alerts.smtp_configured:
        log.warning(
            "SMTP_HOST is not set: failure alerts are not e-mailed, only shown on the dashboard"
        )
        return

    async def round_() -> None:
        await send_due_alerts(sessions, settings, now=utcnow())

    await repeat_until(stop, round_, interval=settings.alerts.check_interval_seconds, what="alerts")
