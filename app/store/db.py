"""Engine and session factories for the configured database (SQLite or PostgreSQL).

SQLite runs in WAL mode with a busy timeout and full fsync, so a committed event
survives a crash and web and worker can write at the same time.

A pooled PostgreSQL connection is discarded on checkout when asyncpg already saw the
server hang up (a restart or a terminated backend closes the socket, which the event
loop notices), and pinged only when it sat idle for `IDLE_PING_SECONDS`: one in steady
use proves itself on every statement, and SQLAlchemy's `pool_pre_ping` cost three round
trips (BEGIN, a ping, ROLLBACK) per transaction. One that breaks anyway is invalidated
on the error; the worker's step record retries on a fresh one (steps_pg.py).

PostgreSQL engines use asyncpg through pg_dialect.py (cheaper savepoints for group commit).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import DatabaseSettings
from app.store import pg_dialect

SessionFactory = async_sessionmaker[AsyncSession]

# A pooled connection unused for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 5.0
_RETURNED_AT = "hookline_returned_at"


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


def _note_return(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if record.driver_connection.is_closed():  # the server hung up (restart, terminate): no trip
        raise DisconnectionError("pooled connection closed by the server")
    returned_at = record.info.get(_RETURNED_AT)
    if returned_at is None or time.monotonic() - returned_at < IDLE_PING_SECONDS:
        return  # new, or in steady use
    try:
        dbapi_connection.ping()
    except Exception as exc:  # the pool discards it and connects afresh
        raise DisconnectionError("stale pooled connection") from exc


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Build the async engine; one per process and event loop."""
    kwargs: dict[str, Any] = {"echo": settings.echo}
    if settings.is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20)
    url = make_url(settings.async_url)
    if url.drivername == "postgresql+asyncpg":
        url = url.set(drivername=pg_dialect.DRIVER)
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _begin_immediately)
    else:
        event.listen(engine.sync_engine.pool, "checkin", _note_return)
        event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    return engine


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on error."""
    async with factory() as session, session.begin():
        yield session
