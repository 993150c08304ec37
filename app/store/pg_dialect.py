"""SQLAlchemy's asyncpg dialect with cheaper savepoints (`postgresql+hookline_asyncpg`).

Group commit gives every block a savepoint; on PostgreSQL that cost up to four round
trips per inbound event before this dialect. Two changes, same semantics:

- One name for every savepoint. SQLAlchemy numbers them, so each SAVEPOINT and RELEASE
  was a new statement text that asyncpg prepared first (two round trips each). SQLAlchemy
  nests savepoints strictly (last opened, first closed), and PostgreSQL's RELEASE and
  ROLLBACK TO act on the most recent savepoint of a name, so one name finds the right one.
- RELEASE is deferred and sent in the same message as the next savepoint command
  (`RELEASE …; SAVEPOINT …` in one simple query). Until then the released savepoint
  still exists, which changes nothing for the statements that follow: its work is part
  of the enclosing transaction either way. A later ROLLBACK TO first rolls back to and
  releases each deferred one (valid even in an aborted transaction), then rolls back to
  the savepoint meant; a savepoint rolled back to is released too (deferred), as it
  still exists. COMMIT and ROLLBACK end them all, so pending releases are dropped.
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util import await_

NAME = "hookline_block"
DRIVER = "postgresql+hookline_asyncpg"
_PENDING = "hookline_unreleased_savepoints"
_SAVEPOINT = f"SAVEPOINT {NAME}"
_RELEASE = f"RELEASE SAVEPOINT {NAME}"
_ROLLBACK_TO = f"ROLLBACK TO SAVEPOINT {NAME}"


class HooklineAsyncpg(PGDialect_asyncpg):
    """asyncpg with one savepoint name and RELEASE sent along with the next savepoint command."""

    supports_statement_cache = True  # compilation is unchanged: keep SQLAlchemy's cache

    def do_savepoint(self, connection: Any, name: str) -> None:
        pending = connection.info.pop(_PENDING, 0)
        if not pending:  # through SQLAlchemy, which sends BEGIN first if it is due
            super().do_savepoint(connection, NAME)  # type: ignore[no-untyped-call]
            return
        _send(connection, [_RELEASE] * pending + [_SAVEPOINT])

    def do_release_savepoint(self, connection: Any, name: str) -> None:
        connection.info[_PENDING] = connection.info.get(_PENDING, 0) + 1

    def do_rollback_to_savepoint(self, connection: Any, name: str) -> None:
        pending = connection.info.pop(_PENDING, 0)
        if not pending:
            super().do_rollback_to_savepoint(connection, NAME)  # type: ignore[no-untyped-call]
        else:
            _send(connection, [_ROLLBACK_TO, _RELEASE] * pending + [_ROLLBACK_TO])
        # ROLLBACK TO keeps the savepoint, which SQLAlchemy now counts as gone: release it
        # too (deferred), or an enclosing savepoint's ROLLBACK TO would stop at this one.
        connection.info[_PENDING] = 1

    def do_commit(self, dbapi_connection: Any) -> None:
        _drop_pending(dbapi_connection)
        super().do_commit(dbapi_connection)  # type: ignore[no-untyped-call]

    def do_rollback(self, dbapi_connection: Any) -> None:
        _drop_pending(dbapi_connection)
        super().do_rollback(dbapi_connection)  # type: ignore[no-untyped-call]


def _drop_pending(dbapi_connection: Any) -> None:
    try:
        info = dbapi_connection.info
    except (AttributeError, NotImplementedError):  # the dialect's first connect: none yet
        return
    info.pop(_PENDING, None)


def _send(connection: Any, commands: list[str]) -> None:
    """Several commands in one simple-protocol message: one round trip."""
    sql = "; ".join(commands)
    driver = connection.connection.driver_connection
    try:
        await_(driver.execute(sql))
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        raise DBAPIError(sql, None, exc) from exc


registry.register("postgresql.hookline_asyncpg", __name__, HooklineAsyncpg.__name__)
