"""Engine and session factories for the configured database (SQLite or PostgreSQL).

SQLite runs in WAL mode with a busy timeout and full fsync, so a committed event
survives a crash and web and worker can write at the same time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import DatabaseSettings

SessionFactory = async_sessionmaker[AsyncSession]


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, issue BEGIN (see _begin_immediately).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediately(connection: Any) -> None:
    # Take the write lock up front: a deferred transaction that reads and then writes
    # fails with "database is locked" when another writer committed in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Build the async engine; one per process and event loop."""
    kwargs: dict[str, Any] = {"echo": settings.echo}
    if settings.is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_async_engine(settings.async_url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _begin_immediately)
    return engine


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on error."""
    async with factory() as session, session.begin():
        yield session
