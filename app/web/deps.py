"""Dependency providers: the request's transaction, the signed-in user, the dispatcher.

The edge owns the transaction: one per request, committed when the handler returns
(before the response is sent) and rolled back when it raises.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.sessions import user_from_session
from app.settings import Settings
from app.store.db import SessionFactory
from app.store.tables import User
from app.store.users import find_user_by_api_token
from app.worker.broker import Dispatcher


class SignInRequired(NotAuthorizedException):
    """A page needs a signed-in user; answered with a redirect to the sign-in page."""


async def provide_transaction(state: State) -> AsyncIterator[AsyncSession]:
    sessions: SessionFactory = state.sessions
    async with sessions() as session, session.begin():
        yield session


def provide_settings(state: State) -> Settings:
    settings: NamedDependency[Settings] = state.settings
    return settings


def provide_dispatcher(state: State) -> Dispatcher:
    dispatcher: NamedDependency[Dispatcher] = state.dispatcher
    return dispatcher


async def provide_page_user(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> User:
    user = await user_from_session(db, request.session)
    if user is None:
        await _release(db)
        raise SignInRequired("Please sign in first.")
    return user


async def _release(db: AsyncSession) -> None:
    """Give the request's connection back before a dependency refuses the request.

    Litestar does not clean up an already-started generator dependency (the transaction
    above) when a later dependency raises, so it would hold its connection (and, on
    SQLite, the write lock) until garbage collection.
    """
    await db.close()


async def provide_api_user(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(
            "Send your API token as 'Authorization: Bearer <token>'. "
            "Create one on your account page or with `hookline users create EMAIL --api-token`."
        )
    user = await find_user_by_api_token(db, token=token.strip())
    if user is None:
        await _release(db)
        raise NotAuthorizedException("This API token is not valid (it may have been revoked).")
    return user
