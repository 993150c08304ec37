"""The migrations build exactly the schema the tables declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.store.tables  # noqa: F401 - registers the tables
from app.settings import DatabaseSettings
from app.store.db import create_engine


def _schema_diff(database_url: str) -> tuple[list[Any], set[str]]:
    def compare(connection: Connection) -> tuple[list[Any], set[str]]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
        return diff, set(inspect(connection).get_table_names())

    async def run() -> tuple[list[Any], set[str]]:
        engine = create_engine(DatabaseSettings(url=database_url))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_build_every_table_with_no_autogenerate_diff(database_url: str) -> None:
    # `database_url` is an empty database upgraded to head (SQLite, or PostgreSQL when set).
    diff, tables = _schema_diff(database_url)
    assert {"users", "workflow", "step", "event", "run", "step_attempt"} <= tables
    assert diff == []
