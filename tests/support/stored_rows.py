"""Every stored row of some tables as text, to check that no plain secret reached the disk."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import text

from app.store.db import create_engine

STEP_TABLES = ("step", "run", "step_attempt")


async def stored_rows(
    client: AsyncTestClient,  # type: ignore[type-arg]
    tables: tuple[str, ...] = STEP_TABLES,
) -> list[str]:
    """One `repr` per row (str(row) elides long values, hiding what a test looks for)."""
    engine = create_engine(client.app.state.settings.database)
    async with engine.connect() as connection:
        rows = [
            repr(tuple(row))
            for table in tables
            for row in (await connection.execute(text(f"SELECT * FROM {table}"))).all()
        ]
    await engine.dispose()
    return rows
