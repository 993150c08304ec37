"""What the signed-in session holds, and how a request's user is resolved from it.

The session cookie is encrypted client-side (no per-process memory), carrying the user
id and the user's `session_version`; bumping the version signs out every session.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import User
from app.store.users import get_user

SESSION_USER_KEY = "uid"
SESSION_VERSION_KEY = "sv"


def start_session(session: dict[str, Any], user: User) -> None:
    session.clear()
    session[SESSION_USER_KEY] = user.id
    session[SESSION_VERSION_KEY] = user.session_version


async def user_from_session(db: AsyncSession, session: dict[str, Any]) -> User | None:
    user_id = session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = await get_user(db, user_id=user_id)
    if user is None or session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user
