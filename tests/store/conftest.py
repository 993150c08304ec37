"""Store-layer fixtures: a session factory on the migrated test database and two owners."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from app.settings import Settings
from app.store.db import SessionFactory, create_engine, create_session_factory, transaction
from app.store.events import RecordedEvent, record_event
from app.store.sealing import vault_for
from app.store.users import create_user
from app.store.workflows import create_workflow
from app.workflows.definition import StepDefinition, WorkflowDefinition
from tests.support.incoming import json_incoming

HTTP_STEP = {"type": "http_request", "config": {"method": "POST", "url": "https://example.com/"}}


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[SessionFactory]:
    engine = create_engine(settings.database)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Owner:
    user_id: int
    workflow_id: int


async def make_owner(sessions: SessionFactory, settings: Settings, email: str) -> Owner:
    definition = WorkflowDefinition(
        name=f"{email}'s workflow", steps=[StepDefinition.model_validate(HTTP_STEP)]
    )
    async with transaction(sessions) as session:
        user = await create_user(session, email=email)
        assert user.id is not None
        workflow = await create_workflow(
            session, user_id=user.id, definition=definition, vault=vault_for(settings)
        )
        assert workflow.id is not None
        return Owner(user_id=user.id, workflow_id=workflow.id)


@pytest.fixture
async def alice(sessions: SessionFactory, settings: Settings) -> Owner:
    return await make_owner(sessions, settings, "alice@example.com")


@pytest.fixture
async def bob(sessions: SessionFactory, settings: Settings) -> Owner:
    return await make_owner(sessions, settings, "bob@example.com")


async def store_event(
    sessions: SessionFactory,
    workflow_id: int,
    *,
    plan: list[dict[str, Any]] | None = None,
    dedupe_key: str | None = None,
    lease: timedelta = timedelta(minutes=2),
) -> RecordedEvent:
    async with transaction(sessions) as session:
        return await record_event(
            session,
            workflow_id=workflow_id,
            incoming=json_incoming(b'{"n": 1}', dedupe_key=dedupe_key),
            outcome="accepted",
            plan=plan,
            lease=lease,
        )
