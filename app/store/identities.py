"""Named queries for sign-in identities: which user a provider account signs in as.

Linking rule: the same VERIFIED e-mail is the same person, whichever provider says so.
An unverified e-mail neither links to an existing account nor creates one (creating one
would let a stranger claim the address before its owner arrives).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import Identity, User, utcnow
from app.store.users import create_user, find_user_by_email, get_user, normalize_email


@dataclass(frozen=True)
class ProviderAccount:
    """What a provider told us about the person who just signed in."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool


class AccountConflict(Exception):
    """The provider account cannot sign in: no e-mail, or one the provider has not verified."""


async def find_identity(session: AsyncSession, *, provider: str, subject: str) -> Identity | None:
    query = select(Identity).where(Identity.provider == provider, Identity.subject == subject)
    return (await session.exec(query)).first()


async def list_user_identities(session: AsyncSession, *, user_id: int) -> list[Identity]:
    query = select(Identity).where(Identity.user_id == user_id).order_by(Identity.provider)
    return list((await session.exec(query)).all())


async def user_for_provider_account(session: AsyncSession, *, account: ProviderAccount) -> User:
    """The user this provider account signs in as, linking or creating one when allowed."""
    identity = await find_identity(session, provider=account.provider, subject=account.subject)
    if identity is not None:
        _refresh(identity, account)
        session.add(identity)
        user = await get_user(session, user_id=identity.user_id)
        assert user is not None
        return user
    if not account.email:
        raise AccountConflict("The provider did not share an e-mail address with Hookline.")
    if not account.email_verified:
        raise AccountConflict(
            "Your e-mail address is not verified with this provider, so Hookline cannot "
            "tell that it is yours. Verify it there, or sign in the way you did before."
        )
    user = await find_user_by_email(session, email=account.email)
    if user is None:
        user = await create_user(session, email=account.email)
    elif not await _has_identity(session, user_id=user.id):
        _distrust_unverified_password(user)
        session.add(user)
    assert user.id is not None
    identity = Identity(user_id=user.id, provider=account.provider, subject=account.subject)
    _refresh(identity, account)
    session.add(identity)
    await session.flush()
    return user


async def _has_identity(session: AsyncSession, *, user_id: int | None) -> bool:
    query = select(Identity.id).where(Identity.user_id == user_id).limit(1)
    return (await session.exec(query)).first() is not None


def _distrust_unverified_password(user: User) -> None:
    """A local sign-up never proved it owns this e-mail; its owner just did.

    Whoever chose the local password may not be the owner (account takeover by signing
    up first), so the password is removed and every existing session signed out.
    """
    if user.password_hash is not None:
        user.password_hash = None
        user.session_version += 1


def _refresh(identity: Identity, account: ProviderAccount) -> None:
    identity.email = normalize_email(account.email) if account.email else None
    identity.email_verified = account.email_verified
    identity.last_login_at = utcnow()
