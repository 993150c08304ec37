"""A SQLite file write-locked by another process: the edge answers 503 before senders give
up (they time out after ~10 s and retry), and stores nothing, so the retry is not a copy."""

from __future__ import annotations

import sqlite3
import time

import pytest
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.web.controllers import hooks
from tests.conftest import ApiUser
from tests.web.hooks_support import events_of, make_hook


async def test_a_long_outside_lock_gets_503_in_time_and_nothing_is_stored(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not settings.database.is_sqlite:
        pytest.skip("SQLite only: PostgreSQL has no file-wide write lock")
    monkeypatch.setattr(hooks, "INTAKE_LOCK_WAIT_SECONDS", 0.5)
    workflow_id, path = await make_hook(client, api_user)
    database_file = settings.database.url.removeprefix("sqlite:///")
    other = sqlite3.connect(database_file, isolation_level=None)  # e.g. a manual sqlite3 shell
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        answer = await client.post(path, json={"n": 1})
        waited = time.monotonic() - started
    finally:
        other.execute("COMMIT")
        other.close()

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "30"
    assert "cannot store events right now" in answer.json()["error"]
    assert 0.5 <= waited < 3
    assert await events_of(client, api_user, workflow_id) == []
    assert (await client.post(path, json={"n": 2})).status_code == 202  # lock gone: stored
