"""Named queries for users and their API tokens (tokens are stored only as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import ApiToken, User, utcnow

API_TOKEN_PREFIX = "hkl_"  # noqa: S105 - a public prefix, not a secret


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    session: AsyncSession, *, email: str, password_hash: str | None = None
) -> User:
    user = User(email=normalize_email(email), password_hash=password_hash)
    session.add(user)
    await session.flush()
    return user


async def find_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    result = await session.exec(select(User).where(User.email == normalize_email(email)))
    return result.first()


async def get_user(session: AsyncSession, *, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def issue_api_token(
    session: AsyncSession, *, user_id: int, name: str = "API token"
) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    plain = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, token_hash=hash_api_token(plain), last4=plain[-4:])
    session.add(token)
    await session.flush()
    return token, plain


async def find_user_by_api_token(session: AsyncSession, *, token: str) -> User | None:
    query = (
        select(User)
        .join(ApiToken, col(ApiToken.user_id) == col(User.id))
        .where(ApiToken.token_hash == hash_api_token(token))
        .where(col(ApiToken.revoked_at).is_(None))
    )
    result = await session.exec(query)
    return result.first()


async def list_api_tokens(session: AsyncSession, *, user_id: int) -> list[ApiToken]:
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .where(col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.id).desc())
    )
    return list((await session.exec(query)).all())


async def revoke_api_token(session: AsyncSession, *, user_id: int, token_id: int) -> bool:
    token = await session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    session.add(token)
    return True


async def change_password(session: AsyncSession, *, user: User, password_hash: str) -> None:
    """Store the new hash and end every existing session of this user."""
    user.password_hash = password_hash
    await end_sessions(session, user=user)


async def end_sessions(session: AsyncSession, *, user: User) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    user.session_version += 1
    session.add(user)
    await session.flush()
