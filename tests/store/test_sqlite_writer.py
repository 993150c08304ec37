"""The SQLite writer thread: units share commits, and each is committed when `run` returns."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.store.sqlite_writer import LockWaitExceeded, SqliteWriter, begin_immediate, connect
from tests.store.conftest import stored_items


def _insert(name: str) -> Callable[[sqlite3.Connection], str]:
    def unit(connection: sqlite3.Connection) -> str:
        connection.execute("INSERT INTO item (name) VALUES (?)", (name,))
        return name

    return unit


async def test_each_unit_is_visible_elsewhere_when_run_returns_and_batches_are_shared(
    db_path: str,
) -> None:
    writer = SqliteWriter(db_path)
    visible_on_return: list[bool] = []

    async def store(n: int) -> None:
        await writer.run(_insert(f"item-{n}"))
        visible_on_return.append(f"item-{n}" in stored_items(db_path))

    await asyncio.gather(*(store(n) for n in range(50)))
    await writer.close()
    assert visible_on_return == [True] * 50
    assert writer.units == 50
    assert writer.batches < 50  # concurrent units were committed together


async def test_a_failing_unit_is_rolled_back_alone(db_path: str) -> None:
    writer = SqliteWriter(db_path)

    def half_then_fail(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO item (name) VALUES ('half-done')")
        raise ValueError("this unit fails after its first statement")

    results = await asyncio.gather(
        writer.run(_insert("first")),
        writer.run(half_then_fail),
        writer.run(_insert("first")),  # primary key clash
        writer.run(_insert("last")),
        return_exceptions=True,
    )
    await writer.close()
    assert results[0] == "first"
    assert isinstance(results[1], ValueError)
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert results[3] == "last"
    assert stored_items(db_path) == {"first", "last"}


async def test_an_unreachable_database_fails_every_caller_without_hanging(tmp_path: Path) -> None:
    writer = SqliteWriter(str(tmp_path / "no-such-dir" / "hookline.db"))
    async with asyncio.timeout(10):
        results = await asyncio.gather(
            *(writer.run(_insert(f"n{n}")) for n in range(5)),
            return_exceptions=True,
        )
    await writer.close()
    assert all(isinstance(result, sqlite3.Error) for result in results)


async def test_nothing_commits_while_another_writer_holds_exclusive(db_path: str) -> None:
    writer = SqliteWriter(db_path)
    async with writer.exclusive():
        pending = asyncio.ensure_future(writer.run(_insert("waits")))
        await asyncio.sleep(0.05)
        assert not pending.done()
        assert stored_items(db_path) == set()
        # Meanwhile this process writes through another connection without a lock fight.
        with sqlite3.connect(db_path, timeout=0.1) as other:
            other.execute("INSERT INTO item (name) VALUES ('other')")
    assert await pending == "waits"
    await writer.close()
    assert stored_items(db_path) == {"other", "waits"}


async def test_a_closed_writer_refuses_new_work(db_path: str) -> None:
    writer = SqliteWriter(db_path)
    await writer.run(_insert("one"))
    await writer.close()
    with pytest.raises(RuntimeError):
        await writer.run(_insert("two"))


async def test_commits_are_fully_synchronous_in_wal_mode(db_path: str) -> None:
    writer = SqliteWriter(db_path)

    def settings(connection: sqlite3.Connection) -> tuple[str, int]:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        return mode, connection.execute("PRAGMA synchronous").fetchone()[0]

    assert await writer.run(settings) == ("wal", 2)  # 2 = FULL: fsync at every COMMIT
    await writer.close()


def test_begin_waits_for_another_connections_write_lock_then_takes_it(db_path: str) -> None:
    """Another process's writer holds the lock for 50 ms: BEGIN retries until it is free;
    errors other than "busy" are raised at once."""
    held = threading.Event()

    def hold_the_lock() -> None:
        other = connect(db_path)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(0.05)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait()
    ours = connect(db_path)
    started = time.monotonic()
    begin_immediate(ours)
    waited = time.monotonic() - started
    ours.execute("ROLLBACK")
    holder.join()
    assert 0.04 < waited < 5
    ours.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError):  # BEGIN inside a transaction: not "busy"
        begin_immediate(ours)
    ours.close()


async def test_a_unit_that_may_wait_only_briefly_fails_unrun_while_another_process_writes(
    db_path: str,
) -> None:
    """The edge's case: a sender times out after ~10 s, so intake gives up first (503) and
    stores nothing; a unit without a limit in the same batch still commits afterwards."""
    other = connect(db_path)  # another process's writer, holding the lock for 1.5 s
    other.execute("BEGIN IMMEDIATE")
    writer = SqliteWriter(db_path)
    started = time.monotonic()
    hurried = asyncio.create_task(writer.run(_insert("hurried"), wait_at_most=0.3))
    patient = asyncio.create_task(writer.run(_insert("patient")))
    with pytest.raises(LockWaitExceeded):
        await hurried
    gave_up_after = time.monotonic() - started
    await asyncio.sleep(1.2)
    other.execute("COMMIT")
    other.close()
    assert await patient == "patient"
    await writer.close()
    assert 0.3 <= gave_up_after < 1.0
    assert stored_items(db_path) == {"patient"}  # the unit that gave up never ran
