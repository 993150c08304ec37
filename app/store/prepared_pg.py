"""SQLAlchemy Core statements compiled once for PostgreSQL, run on the raw asyncpg connection.

The worker's hot path (steps_pg.py) runs a few statements per step; through the ORM each
costs far more CPU than the round trip itself. `PgPrepared` compiles once with the
asyncpg dialect and keeps SQLAlchemy's own bind processors, so values are written exactly
as the ORM writes them (JSONB as JSON text, aware UTC timestamps); asyncpg prepares each
text once per connection (its statement cache), and JSON comes back decoded through the
codecs SQLAlchemy installed on the connection.

`raw_connection` borrows a pooled connection in autocommit mode: each statement is its
own transaction, so a unit written as one statement needs no BEGIN/COMMIT round trips.
A connection that breaks is invalidated, so the pool never hands it out again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler

DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
_REQUIRED = object()

# Errors after which the connection cannot be trusted (the server or the socket went away).
CONNECTION_LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    ConnectionError,
    OSError,
)


class PgPrepared:
    """One statement: its SQL text and how to turn named values into positional ones."""

    def __init__(self, statement: sa.ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=DIALECT))
        self.sql = str(compiled)
        if "POSTCOMPILE" in self.sql:  # an expanding IN (…) has no fixed SQL: spell it out
            raise ValueError(f"cannot prepare a statement with an expanding IN: {self.sql}")
        self._order: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(DIALECT).bind_processor(DIALECT)
            # Literals in the statement (anonymous binds) carry their value; named ones are given.
            fixed = bind.effective_value if bind.key.startswith("%(") else _REQUIRED
            self._order.append((bind.key, fixed, processor))

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        out = []
        for key, fixed, processor in self._order:
            value = values[key] if fixed is _REQUIRED else fixed
            out.append(processor(value) if processor is not None else value)
        return out

    async def fetchrow(
        self, connection: asyncpg.Connection, values: Mapping[str, Any]
    ) -> asyncpg.Record | None:
        return await connection.fetchrow(self.sql, *self.args(values))

    async def execute(self, connection: asyncpg.Connection, values: Mapping[str, Any]) -> None:
        await connection.execute(self.sql, *self.args(values))


@asynccontextmanager
async def raw_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection outside any transaction (each statement autocommits)."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = cast(asyncpg.Connection, raw.driver_connection)
        try:
            yield driver
        except CONNECTION_LOST:
            await connection.invalidate()
            raise
