"""Failure alerts and auto-pause: runs fail through the real worker against a local HTTP
server, alerts go to a real SMTP server (aiosmtpd), and "now" is passed in, never slept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from app.settings import AlertSettings, AppSettings, Settings
from app.store.alerts import AlertDue, AlertFacts, claim_alert
from app.store.db import SessionFactory, transaction
from app.store.tables import Run, StepAttempt, Workflow, utcnow
from app.store.workflows import set_workflow_enabled
from app.worker.alerts import alert_message, send_due_alerts
from app.worker.execution import run_next_step
from tests.conftest import TEST_SECRET
from tests.support.local_http import LocalServer
from tests.support.smtp_mailbox import Mailbox, free_port, serve_mailbox
from tests.worker.alert_support import (
    Owner,
    Worker,
    make_owner,
    post_to,
    session_factory,
    workflow_row,
)

HOUR = timedelta(hours=1)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


def with_alerts(settings: Settings, port: int, *, pause_after: int = 20) -> Settings:
    alerts = AlertSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_from="alerts@hookline.test",
        auto_pause_after_failures=pause_after,
    )
    return settings.model_copy(update={"alerts": alerts})


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[SessionFactory]:
    async with session_factory(settings) as factory:
        yield factory


@pytest.fixture
async def owner(sessions: SessionFactory, settings: Settings) -> Owner:
    return await make_owner(sessions, settings)


@pytest.fixture
async def worker(
    settings: Settings, sessions: SessionFactory, mailbox: Mailbox
) -> AsyncIterator[Worker]:
    runner = Worker(with_alerts(settings, mailbox.port), sessions)
    yield runner
    await runner.close()


async def test_a_burst_of_failures_sends_one_email_with_the_count(
    settings: Settings,
    sessions: SessionFactory,
    owner: Owner,
    worker: Worker,
    mailbox: Mailbox,
    sink: LocalServer,
) -> None:
    settings = with_alerts(settings, mailbox.port)
    for _ in range(5):
        await worker.run(owner.workflow_id, post_to(sink.url("/status/400")))
    t0 = utcnow()
    assert await send_due_alerts(sessions, settings, now=t0) == 1
    assert await send_due_alerts(sessions, settings, now=t0) == 0
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert mail["To"] == "owner@example.com" and mail["From"] == "alerts@hookline.test"
    assert mail["Subject"] == "Hookline: 5 failed runs in your workflow “Orders to CRM”"
    text = mail.get_content()
    assert "had 5 failed runs since the last alert" in text
    assert "Last error: " in text and "400" in text
    assert f"http://testserver.local/workflows/{owner.workflow_id}" in text

    # Another failure within the hour waits; a success changes nothing about the window.
    await worker.run(owner.workflow_id, post_to(sink.url("/status/500")))
    await worker.run(owner.workflow_id, post_to(sink.url("/")))
    assert await send_due_alerts(sessions, settings, now=t0 + timedelta(minutes=10)) == 0
    assert await send_due_alerts(sessions, settings, now=t0 + timedelta(minutes=59)) == 0
    assert len(mailbox.messages) == 1
    assert await send_due_alerts(sessions, settings, now=t0 + HOUR) == 1
    second = mailbox.messages[1]
    assert second["Subject"] == "Hookline: 1 failed run in your workflow “Orders to CRM”"
    assert "500" in second.get_content()


async def test_two_clocks_at_once_send_one_email(
    settings: Settings,
    sessions: SessionFactory,
    owner: Owner,
    worker: Worker,
    mailbox: Mailbox,
    sink: LocalServer,
) -> None:
    settings = with_alerts(settings, mailbox.port)
    for _ in range(2):
        await worker.run(owner.workflow_id, post_to(sink.url("/status/400")))
    now = utcnow()
    async with session_factory(settings) as other_clock:
        sent = await asyncio.gather(
            send_due_alerts(sessions, settings, now=now),
            send_due_alerts(other_clock, settings, now=now),
        )
    assert sorted(sent) == [0, 1]
    assert len(mailbox.messages) == 1
    assert "had 2 failed runs" in mailbox.messages[0].get_content()


async def test_an_alert_is_late_but_never_lost_when_smtp_fails_or_a_clock_dies(
    settings: Settings,
    sessions: SessionFactory,
    owner: Owner,
    worker: Worker,
    mailbox: Mailbox,
    sink: LocalServer,
) -> None:
    for _ in range(2):
        await worker.run(owner.workflow_id, post_to(sink.url("/status/400")))
    t0 = utcnow()
    nobody_listens = with_alerts(settings, free_port())
    assert await send_due_alerts(sessions, nobody_listens, now=t0) == 0
    # The mail server is back: the next round sends (the failed try did not use the hour).
    assert await send_due_alerts(sessions, with_alerts(settings, mailbox.port), now=t0) == 1
    assert "had 2 failed runs" in mailbox.messages[0].get_content()

    # A clock claims the next alert and dies before sending: it goes out an hour later.
    await worker.run(owner.workflow_id, post_to(sink.url("/status/400")))
    later = t0 + HOUR
    async with transaction(sessions) as session:
        due = AlertDue(
            owner.workflow_id, (await workflow_row(sessions, owner.workflow_id)).alert_sent_at
        )
        assert await claim_alert(session, due=due, now=later)
    alerting = with_alerts(settings, mailbox.port)
    assert await send_due_alerts(sessions, alerting, now=later + timedelta(minutes=30)) == 0
    assert await send_due_alerts(sessions, alerting, now=later + HOUR) == 1
    assert "had 1 failed run since" in mailbox.messages[1].get_content()


async def test_without_smtp_nothing_is_sent_and_failures_stay_counted(
    settings: Settings,
    sessions: SessionFactory,
    owner: Owner,
    worker: Worker,
    sink: LocalServer,
) -> None:
    await worker.run(owner.workflow_id, post_to(sink.url("/status/400")))
    assert not settings.alerts.smtp_configured
    assert await send_due_alerts(sessions, settings, now=utcnow()) == 0
    assert (await workflow_row(sessions, owner.workflow_id)).unalerted_failures == 1


async def test_failures_in_a_row_pause_the_workflow_and_the_owner_is_told_at_once(
    settings: Settings,
    sessions: SessionFactory,
    owner: Owner,
    mailbox: Mailbox,
    sink: LocalServer,
) -> None:
    settings = with_alerts(settings, mailbox.port, pause_after=3)
    worker = Worker(settings, sessions)
    try:
        await _pause_and_resume(settings, sessions, owner, worker, mailbox, sink)
    finally:
        await worker.close()


async def _pause_and_resume(
    settings: Settings,
    sessions: SessionFactory,
    owner: Owner,
    worker: Worker,
    mailbox: Mailbox,
    sink: LocalServer,
) -> None:
    failing, working = post_to(sink.url("/status/400")), post_to(sink.url("/"))
    for plan in (failing, failing, working, failing, failing):
        await worker.run(owner.workflow_id, plan)
    row = await workflow_row(sessions, owner.workflow_id)
    assert row.enabled and row.failure_streak == 2  # the success reset the streak
    t0 = utcnow()
    assert await send_due_alerts(sessions, settings, now=t0) == 1  # an ordinary alert

    await worker.run(owner.workflow_id, failing)
    row = await workflow_row(sessions, owner.workflow_id)
    assert not row.enabled
    assert row.paused_reason is not None
    assert row.paused_reason.startswith("Paused after 3 failed runs in a row; last error: ")
    assert "400" in row.paused_reason
    # The pause notice is not held back by the hourly limit.
    assert await send_due_alerts(sessions, settings, now=t0 + timedelta(minutes=1)) == 1
    notice = mailbox.messages[1]
    assert notice["Subject"] == "Hookline paused your workflow “Orders to CRM”"
    assert "Paused after 3 failed runs in a row" in notice.get_content()
    assert "Run held events" in notice.get_content()

    async with transaction(sessions) as session:
        workflow = await session.get(Workflow, owner.workflow_id)
        assert workflow is not None
        await set_workflow_enabled(session, workflow=workflow, enabled=True)
    row = await workflow_row(sessions, owner.workflow_id)
    assert row.enabled and row.paused_reason is None and row.failure_streak == 0


async def test_a_run_our_crashed_worker_left_unknown_is_alerted_but_does_not_count_to_pause(
    settings: Settings,
    sessions: SessionFactory,
    owner: Owner,
    worker: Worker,
    sink: LocalServer,
) -> None:
    run_id = await worker.run(owner.workflow_id, post_to(sink.url("/")))
    await worker.run(owner.workflow_id, post_to(sink.url("/status/400")))
    async with transaction(sessions) as session:  # as if a worker died mid-POST long ago
        run = await session.get(Run, run_id)
        assert run is not None
        run.status, run.finished_at, run.next_step = "running", None, 0
        attempt = (
            await session.exec(select(StepAttempt).where(StepAttempt.run_id == run_id))
        ).one()
        attempt.status, attempt.started_at = "running", utcnow() - timedelta(hours=1)
        session.add_all([run, attempt])
    await run_next_step(worker.runtime, run_id)
    async with transaction(sessions) as session:
        run = await session.get(Run, run_id)
        assert run is not None and run.status == "failed"
    row = await workflow_row(sessions, owner.workflow_id)
    # The owner hears about both failed runs; only the 400 is the workflow's own failure
    # streak (a crash neither adds to it nor resets it).
    assert (row.failure_streak, row.unalerted_failures) == (1, 2)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(3600, "per hour"), (60, "per minute"), (7200, "every 2 hours"), (90, "every 90 seconds")],
)
def test_the_alert_email_states_the_configured_interval(seconds: float, said: str) -> None:
    alerts = AlertSettings(smtp_host="127.0.0.1", min_interval_seconds=seconds)
    settings = Settings(app=AppSettings(env="test", secret_key=TEST_SECRET), alerts=alerts)
    facts = AlertFacts(1, "Orders", "owner@example.com", 2, "HTTP 500", None)
    message = alert_message(facts, settings)
    assert f"You get at most one of these e-mails per workflow {said}." in message.get_content()
