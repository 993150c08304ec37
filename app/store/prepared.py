"""SQLAlchemy Core statements compiled once for SQLite, run on a plain `sqlite3` connection.

The SQLite writer thread (sqlite_writer.py) runs units synchronously; compiling a Core
statement on every call would cost more than running it. `Prepared` compiles once with
SQLite's dialect and keeps SQLAlchemy's own bind processors, so the rows written here
are stored exactly as the ORM would store them (UTC timestamps, JSON text, booleans).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.schema import ScalarElementColumnDefault

DIALECT = sqlite.dialect(paramstyle="qmark")
_REQUIRED = object()


class Prepared:
    """One statement: its SQL text and how to turn named values into positional ones."""

    def __init__(self, statement: sa.ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=DIALECT))
        self.sql = str(compiled)
        if "POSTCOMPILE" in self.sql:  # an expanding IN (…) has no fixed SQL: spell it out
            raise ValueError(f"cannot prepare a statement with an expanding IN: {self.sql}")
        # Columns left out of an INSERT get their Python-side default, as SQLAlchemy does.
        defaults = {column.key: column.default for column in compiled.insert_prefetch}
        self._order: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(DIALECT).bind_processor(DIALECT)
            default = bind.effective_value
            if name in defaults:
                column_default = defaults[name]
                scalar = isinstance(column_default, ScalarElementColumnDefault)
                default = column_default.arg if scalar else _REQUIRED  # type: ignore[union-attr]
            self._order.append((bind.key, default, processor))

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for key, default, processor in self._order:
            value = values.get(key, default)
            if value is _REQUIRED:
                raise KeyError(f"{key} has a computed default: pass it explicitly")
            out.append(processor(value) if processor is not None else value)
        return tuple(out)

    def execute(
        self, connection: sqlite3.Connection, values: Mapping[str, Any] | None = None
    ) -> sqlite3.Cursor:
        return connection.execute(self.sql, self.params(values or {}))

    def scalar(
        self, connection: sqlite3.Connection, values: Mapping[str, Any] | None = None
    ) -> Any:
        """The first column of the first row, or None when there is no row."""
        rows = self.execute(connection, values).fetchall()  # done: the statement is reset
        return rows[0][0] if rows else None


def bind_all(table: sa.Table, names: list[str]) -> dict[str, sa.BindParameter[Any]]:
    """`{column: bindparam(column)}` for an INSERT … VALUES of those columns."""
    return {name: sa.bindparam(name, type_=table.c[name].type) for name in names}


def reader(column: sa.Column[Any]) -> Callable[[Any], Any]:
    """SQLAlchemy's conversion of a raw SQLite value of `column` (e.g. text to aware datetime)."""
    processor = column.type.dialect_impl(DIALECT).result_processor(DIALECT, None)
    return processor if processor is not None else _same


def _same(value: Any) -> Any:
    return value
