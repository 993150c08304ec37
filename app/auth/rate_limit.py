"""Login rate limits for local accounts, per account and per IP, kept in the database.

Failures are rows (not process memory), so several web processes share one count.
A success does not erase failures: the window simply slides past them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.settings import AuthSettings
from app.store.tables import LoginFailure, utcnow
from app.store.users import normalize_email


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_ip: int
    window: timedelta

    @classmethod
    def from_settings(cls, auth: AuthSettings) -> LoginLimits:
        return cls(
            per_account=auth.login_max_failures_per_account,
            per_ip=auth.login_max_failures_per_ip,
            window=timedelta(seconds=auth.login_window_seconds),
        )


async def _failures_since(session: AsyncSession, *, column: str, value: str, since: object) -> int:
    field = col(getattr(LoginFailure, column))
    query = select(func.count()).select_from(LoginFailure).where(field == value)
    query = query.where(col(LoginFailure.at) >= since)
    return int((await session.exec(query)).one())


async def login_blocked(session: AsyncSession, *, email: str, ip: str, limits: LoginLimits) -> bool:
    """True when this account or this address failed too often within the window."""
    since = utcnow() - limits.window
    by_account = await _failures_since(
        session, column="email", value=normalize_email(email), since=since
    )
    if by_account >= limits.per_account:
        return True
    return await _failures_since(session, column="ip", value=ip, since=since) >= limits.per_ip


async def record_login_failure(
    session: AsyncSession, *, email: str, ip: str, limits: LoginLimits
) -> None:
    now = utcnow()
    session.add(LoginFailure(email=normalize_email(email)[:320], ip=ip[:64], at=now))
    await session.exec(delete(LoginFailure).where(col(LoginFailure.at) < now - limits.window))
    await session.flush()
