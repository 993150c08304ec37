"""Alembic environment: runs migrations on Hookline's async engine for the configured URL.

The URL comes from `config.attributes["database_url"]` (set by `app.store.migrate`)
or, when alembic is run by hand, from DATABASE_URL via the settings.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.store.tables  # noqa: F401 - registers the tables on SQLModel.metadata
from app.settings import DatabaseSettings
from app.store.db import create_engine

target_metadata = SQLModel.metadata


def _database_settings() -> DatabaseSettings:
    url = context.config.attributes.get("database_url")
    return DatabaseSettings(url=url) if url else DatabaseSettings()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(_database_settings())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `hookline migrate`.")
asyncio.run(_run_online())
