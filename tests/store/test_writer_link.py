"""The worker child's units run on the web process's writer: results, errors, a broken link."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest

from app.store.sqlite_writer import SqliteWriter
from app.store.writer_link import LinkBroken, RemoteWriter, serve_units
from tests.store.conftest import stored_items


def insert_item(connection: sqlite3.Connection, *, name: str) -> str:
    connection.execute("INSERT INTO item (name) VALUES (?)", (name,))
    return name.upper()


def insert_then_fail(connection: sqlite3.Connection, *, name: str) -> None:
    connection.execute("INSERT INTO item (name) VALUES (?)", (name,))
    raise ValueError(f"{name} cannot be stored")


class _Unportable(Exception):
    def __init__(self) -> None:
        super().__init__("holds something that cannot cross")
        self.callback = lambda: None


def fail_unportably(connection: sqlite3.Connection) -> None:
    raise _Unportable()


def return_a_function(connection: sqlite3.Connection) -> Any:
    return lambda: None


@pytest.fixture
async def linked(db_path: str) -> AsyncIterator[tuple[SqliteWriter, RemoteWriter]]:
    """The parent's writer serving one end of a socket pair; the child's writer on the other."""
    parent_end, child_end = socket.socketpair()
    writer = SqliteWriter(db_path)
    serving = asyncio.create_task(serve_units(parent_end, writer))
    remote = await RemoteWriter.over(child_end)
    yield writer, remote
    await remote.close()
    await asyncio.wait_for(serving, 5)
    await writer.close()


async def test_units_sent_by_the_child_are_committed_by_the_parents_writer(
    linked: tuple[SqliteWriter, RemoteWriter], db_path: str
) -> None:
    writer, remote = linked
    names = [f"item-{n}" for n in range(30)]
    results = await asyncio.gather(*(remote.run(partial(insert_item, name=n)) for n in names))
    assert results == [name.upper() for name in names]
    assert stored_items(db_path) == set(names)  # committed when run returned
    assert writer.units == 30  # run by the parent's writer…
    assert writer.batches < 30  # …sharing its transactions


async def test_a_failing_unit_raises_its_own_error_for_the_child_and_stores_nothing(
    linked: tuple[SqliteWriter, RemoteWriter], db_path: str
) -> None:
    _, remote = linked
    with pytest.raises(ValueError, match="broken cannot be stored"):
        await remote.run(partial(insert_then_fail, name="broken"))
    assert await remote.run(partial(insert_item, name="fine")) == "FINE"
    assert stored_items(db_path) == {"fine"}


async def test_an_error_that_cannot_cross_arrives_as_a_plain_error_naming_it(
    linked: tuple[SqliteWriter, RemoteWriter],
) -> None:
    _, remote = linked
    with pytest.raises(RuntimeError, match="_Unportable: holds something that cannot cross"):
        await asyncio.wait_for(remote.run(fail_unportably), 5)
    with pytest.raises(RuntimeError, match="unsendable result"):
        await asyncio.wait_for(remote.run(return_a_function), 5)


async def test_when_the_parent_is_gone_waiting_and_later_units_fail_clearly() -> None:
    parent_end, child_end = socket.socketpair()
    remote = await RemoteWriter.over(child_end)
    waiting: asyncio.Task[Any] = asyncio.create_task(remote.run(partial(insert_item, name="x")))
    await asyncio.sleep(0.05)
    parent_end.close()  # the web process died: nobody will answer
    with pytest.raises(LinkBroken):
        await asyncio.wait_for(waiting, 5)
    with pytest.raises(LinkBroken):
        await remote.run(partial(insert_item, name="y"))
    await remote.close()


async def test_after_the_parent_is_gone_later_units_run_on_the_childs_own_writer(
    db_path: str,
) -> None:
    """Steps finishing in the child's stop grace still get their outcome recorded."""
    parent_end, child_end = socket.socketpair()
    own = SqliteWriter(db_path)
    remote = await RemoteWriter.over(child_end, fallback=own)
    in_flight: asyncio.Task[Any] = asyncio.create_task(remote.run(partial(insert_item, name="x")))
    await asyncio.sleep(0.05)
    parent_end.close()
    with pytest.raises(LinkBroken):  # sent, never answered: whether it committed is unknown
        await asyncio.wait_for(in_flight, 5)

    assert await asyncio.wait_for(remote.run(partial(insert_item, name="late")), 5) == "LATE"
    assert stored_items(db_path) == {"late"}
    assert own.units == 1
    await remote.close()
    await own.close()
