"""What the signed-in session holds, and how a request's user is resolved from it.

The session cookie is encrypted client-side (no per-process memory), carrying the user
id, the user's `session_version` (bumping it signs out every session of that user) and a
random session id: signing out records that id in the database (app/store/revoked_sessions),
so a copied cookie stops working in every web process, not only in this browser.
A session lasts SESSION_MAX_AGE from sign-in (not sliding: the cookie is re-sent on every
response, so only the sign-in time bounds how long a revoked id must be remembered).
A cookie without a session id or start time (issued before they existed) is refused.

Flash values (one page view only, e.g. a new API token after POST-redirect-GET) also
live in the session, under their own keys, and are taken out when shown.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.revoked_sessions import is_session_revoked, revoke_session
from app.store.tables import User
from app.store.users import get_user

SESSION_USER_KEY = "uid"
SESSION_VERSION_KEY = "sv"
SESSION_ID_KEY = "sid"
SESSION_STARTED_KEY = "at"
SESSION_MAX_AGE = timedelta(days=14)
FLASH_PREFIX = "flash:"


def start_session(session: dict[str, Any], user: User) -> None:
    session.clear()
    session[SESSION_USER_KEY] = user.id
    session[SESSION_VERSION_KEY] = user.session_version
    session[SESSION_ID_KEY] = secrets.token_urlsafe(24)
    session[SESSION_STARTED_KEY] = int(time.time())


async def user_from_session(db: AsyncSession, session: dict[str, Any]) -> User | None:
    user_id = session.get(SESSION_USER_KEY)
    session_id = session.get(SESSION_ID_KEY)
    started = session.get(SESSION_STARTED_KEY)
    if not isinstance(user_id, int) or not isinstance(session_id, str):
        return None
    if not isinstance(started, int) or time.time() - started > SESSION_MAX_AGE.total_seconds():
        return None
    user = await get_user(db, user_id=user_id)
    if user is None or session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    if await is_session_revoked(db, session_id=session_id):
        return None
    return user


async def end_session(db: AsyncSession, session: dict[str, Any]) -> None:
    """Sign this browser out, and refuse its cookie everywhere if someone copied it."""
    session_id = session.get(SESSION_ID_KEY)
    if isinstance(session_id, str):
        await revoke_session(db, session_id=session_id, max_age=SESSION_MAX_AGE)
    session.clear()


def flash(session: dict[str, Any], key: str, value: object) -> None:
    """Keep a value for the next page view only (set it after start_session, which clears)."""
    session[FLASH_PREFIX + key] = value


def take_flash(session: dict[str, Any], key: str) -> Any:
    return session.pop(FLASH_PREFIX + key, None)
