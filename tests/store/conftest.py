"""Store-layer fixtures: a session factory on the migrated test database, two owners, and a
bare SQLite file with one `item` table for the writer-thread tests."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from app.store.db import SessionFactory, create_engine, create_session_factory, transaction
from app.store.events import RecordedEvent, record_event
from tests.support.incoming import json_incoming
from tests.support.owners import Owner as Owner
from tests.support.owners import make_owner

HTTP_STEP = {"type": "http_request", "config": {"method": "POST", "url": "https://example.com/"}}


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    """A SQLite file holding `item (name TEXT PRIMARY KEY)` and nothing else."""
    path = str(tmp_path / "writer.db")
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE item (name TEXT PRIMARY KEY)")
    return path


def stored_items(path: str) -> set[str]:
    """The item names committed, read on another connection (as another process would)."""
    with sqlite3.connect(path) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM item")}


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[SessionFactory]:
    engine = create_engine(settings.database)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def owner_with_http_step(sessions: SessionFactory, settings: Settings, email: str) -> Owner:
    name = f"{email}'s workflow"
    return await make_owner(sessions, settings, email=email, name=name, steps=[HTTP_STEP])


@pytest.fixture
async def alice(sessions: SessionFactory, settings: Settings) -> Owner:
    return await owner_with_http_step(sessions, settings, "alice@example.com")


@pytest.fixture
async def bob(sessions: SessionFactory, settings: Settings) -> Owner:
    return await owner_with_http_step(sessions, settings, "bob@example.com")


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
