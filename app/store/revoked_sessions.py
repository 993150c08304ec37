"""Signed-out session ids, kept in the database so every web process refuses them.

The session cookie is client-side; signing out adds its random id here until the cookie
would have expired anyway (then the row is pruned: an expired cookie is refused by age).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import RevokedSession, utcnow


async def revoke_session(session: AsyncSession, *, session_id: str, max_age: timedelta) -> None:
    """Refuse this session id from now on; prune ids whose cookies have expired."""
    now = utcnow()
    await session.exec(delete(RevokedSession).where(col(RevokedSession.expires_at) < now))
    if await session.get(RevokedSession, session_id) is None:
        session.add(RevokedSession(id=session_id, expires_at=now + max_age))
    await session.flush()


async def is_session_revoked(session: AsyncSession, *, session_id: str) -> bool:
    query = select(RevokedSession.id).where(RevokedSession.id == session_id)
    return (await session.exec(query)).first() is not None
