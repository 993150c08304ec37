"""`hookline serve`'s embedded clock: it starts scheduled runs and e-mails failure alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.settings import AlertSettings, ScheduleSettings, Settings
from app.store.db import transaction
from app.store.tables import Workflow, utcnow
from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.support.smtp_mailbox import Mailbox, serve_mailbox
from tests.worker.alert_support import session_factory
from tests.worker.conftest import (
    app_client,
    create_workflow,
    http_step,
    latest_finished_run,
)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


@pytest.fixture
def clock_settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(
        update={
            "alerts": AlertSettings(
                smtp_host=mailbox.host,
                smtp_port=mailbox.port,
                smtp_tls="none",
                check_interval_seconds=0.2,
            ),
            "schedules": ScheduleSettings(check_interval_seconds=0.2),
        }
    )


async def test_the_embedded_clock_runs_a_due_schedule_and_sends_an_alert(
    clock_settings: Settings, api_user: ApiUser, sink: LocalServer, mailbox: Mailbox
) -> None:
    async with app_client(clock_settings) as client:
        workflow = await create_workflow(client, api_user, [http_step(sink.url("/status/400"))])
        trigger = {"kind": "schedule", "schedule": {"every": "daily", "time": "03:00"}}
        answer = await client.put(
            f"/api/v1/workflows/{workflow['id']}",
            json={"trigger": trigger},
            headers=api_user.headers,
        )
        assert answer.status_code == 200, answer.text
        async with session_factory(clock_settings) as sessions, transaction(sessions) as session:
            await session.exec(  # the tick is due now
                sa.update(Workflow)
                .where(Workflow.id == workflow["id"])  # type: ignore[arg-type]
                .values(next_tick_at=utcnow() - timedelta(seconds=1))
            )
        run = await latest_finished_run(client, api_user, workflow["id"])
        assert run["status"] == "failed"
        await wait_for(lambda: len(mailbox.messages) >= 1)
    assert len(sink.received) >= 1
    assert mailbox.messages[0]["To"] == api_user.email
    assert "failed run" in mailbox.messages[0]["Subject"]
