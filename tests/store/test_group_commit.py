"""Group commit: concurrent blocks share transactions, yet each is stored when its block exits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.settings import DatabaseSettings
from app.store.db import SessionFactory, create_engine, create_session_factory, transaction
from app.store.group_commit import GroupCommitter
from app.store.users import create_user, find_user_by_email


async def _stored(sessions: SessionFactory, email: str) -> bool:
    async with transaction(sessions) as session:
        return await find_user_by_email(session, email=email) is not None


async def test_concurrent_blocks_share_commits_and_each_is_stored_on_exit(
    sessions: SessionFactory,
) -> None:
    committer = GroupCommitter(sessions)
    seen_after_exit: list[bool] = []

    async def sign_up(n: int) -> None:
        async with committer.transaction() as session:
            await create_user(session, email=f"user{n}@example.com")
        # Answered only now: another connection must already see the row (principle 1).
        seen_after_exit.append(await _stored(sessions, f"user{n}@example.com"))

    await asyncio.gather(*(sign_up(n) for n in range(40)))
    await committer.close()
    assert seen_after_exit == [True] * 40
    assert committer.units == 40
    assert committer.batches < 40  # concurrent blocks were committed together


async def test_a_failing_block_is_rolled_back_alone(sessions: SessionFactory) -> None:
    committer = GroupCommitter(sessions)

    async def sign_up(email: str) -> str:
        async with committer.transaction() as session:
            await create_user(session, email=email)
        return email

    results = await asyncio.gather(
        sign_up("first@example.com"),
        sign_up("first@example.com"),  # unique e-mail: this block fails
        sign_up("third@example.com"),
        return_exceptions=True,
    )
    await committer.close()
    assert results[0] == "first@example.com"
    assert isinstance(results[1], IntegrityError)
    assert results[2] == "third@example.com"
    assert await _stored(sessions, "first@example.com")
    assert await _stored(sessions, "third@example.com")


async def test_an_unreachable_database_fails_every_caller_without_hanging(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-dir" / "hookline.db"
    engine = create_engine(DatabaseSettings(url=f"sqlite:///{missing}"))
    committer = GroupCommitter(create_session_factory(engine))

    async def sign_up(n: int) -> None:
        async with committer.transaction() as session:
            await create_user(session, email=f"user{n}@example.com")

    async with asyncio.timeout(10):
        results = await asyncio.gather(*(sign_up(n) for n in range(5)), return_exceptions=True)
    await committer.close()
    await engine.dispose()
    assert all(isinstance(result, SQLAlchemyError) for result in results)


async def test_a_closed_committer_refuses_new_work(sessions: SessionFactory) -> None:
    committer = GroupCommitter(sessions)
    await committer.close()
    with pytest.raises(RuntimeError):
        async with committer.transaction():
            pass
