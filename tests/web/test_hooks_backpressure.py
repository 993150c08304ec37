"""Backlog at the webhook edge: `/backlog` reports how much waits and for how long, and
INBOUND_MAX_BACKLOG (off by default) refuses new events with 503 + Retry-After.

The app here runs without a worker, so every accepted event's run stays queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from app.settings import InboundSettings, Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.tables import Run, utcnow
from tests.conftest import ApiUser
from tests.web.hooks_support import make_hook, runs_of

BODY = b'{"order": 1}'
POST_TO_NOWHERE = [{"type": "http_request", "config": {"method": "POST", "url": "http://x/"}}]


def with_max_backlog(settings: Settings, bound: int) -> Settings:
    return settings.model_copy(update={"inbound": InboundSettings(max_backlog=bound)})


@pytest.fixture
async def web_only(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    from app.web.asgi import create_app

    app = create_app(with_max_backlog(settings, 2))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def finish_all_runs(settings: Settings) -> None:
    engine = create_engine(settings.database)
    async with transaction(create_session_factory(engine)) as session:
        await session.exec(update(Run).values(status="succeeded"))  # type: ignore[call-overload]
    await engine.dispose()


async def age_runs(settings: Settings, seconds: float) -> None:
    engine = create_engine(settings.database)
    async with transaction(create_session_factory(engine)) as session:
        older = utcnow() - timedelta(seconds=seconds)
        await session.exec(update(Run).values(created_at=older))  # type: ignore[call-overload]
    await engine.dispose()


async def test_backlog_reports_queued_runs_and_the_oldest_ones_wait(
    web_only: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    settings: Settings,
) -> None:
    assert (await web_only.get("/backlog")).json() == {
        "queued_runs": 0,
        "oldest_queued_seconds": 0.0,
        "max_backlog": 2,
        "refusing_new_events": False,
    }
    _workflow_id, path = await make_hook(web_only, api_user, steps=POST_TO_NOWHERE)
    for _ in range(2):
        assert (await web_only.post(path, content=BODY)).status_code == 202
    await age_runs(settings, 90)
    report = (await web_only.get("/backlog")).json()
    assert report["queued_runs"] == 2
    assert 90 <= report["oldest_queued_seconds"] < 120
    assert report["refusing_new_events"] is False


async def test_past_the_bound_hooks_answer_503_until_the_backlog_drains(
    web_only: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    settings: Settings,
) -> None:
    workflow_id, path = await make_hook(web_only, api_user, steps=POST_TO_NOWHERE)
    for _ in range(3):
        assert (await web_only.post(path, content=BODY)).status_code == 202
    assert (await web_only.get("/backlog")).json()["refusing_new_events"] is True

    refused = await web_only.post(path, content=BODY)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "30"
    assert "Please send this again in 30 seconds" in refused.json()["error"]
    assert len(await runs_of(web_only, api_user, workflow_id)) == 3  # the refused one not stored

    await finish_all_runs(settings)
    assert (await web_only.get("/backlog")).json()["queued_runs"] == 0
    assert (await web_only.post(path, content=BODY)).status_code == 202


async def test_without_a_bound_a_long_backlog_never_refuses_events(
    settings: Settings,
    api_user: ApiUser,
) -> None:
    from app.web.asgi import create_app

    assert settings.inbound.max_backlog == 0  # the default
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as web:
        _workflow_id, path = await make_hook(web, api_user, steps=POST_TO_NOWHERE)
        for _ in range(4):
            assert (await web.post(path, content=BODY)).status_code == 202
        report = (await web.get("/backlog")).json()
        assert report["queued_runs"] == 4
        assert report["max_backlog"] is None
        assert (await web.post(path, content=BODY)).status_code == 202
