"""Named queries for sign-in identities: which user a provider account signs in as.

Linking rule: the same VERIFIED e-mail is the same person, whichever provider says so.
An unverified e-mail neither links to an existing account nor creates one (creating one
would let a stranger claim the address before its owner arrives).

Takeover defence: a local account that has a password but no provider identity never
proved it owns its e-mail (local sign-ups are not verified), so whoever chose that
password may be a stranger who signed up first. When the verified owner arrives, the
password is removed, every session is signed out and every API token is revoked; the
workflows stay (they may be the owner's) and the owner is told to review them.
An account already linked to a provider keeps its password when another provider links.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.tables import ApiToken, Identity, User, Workflow, utcnow
from app.store.users import create_user, find_user_by_email, get_user, normalize_email


@dataclass(frozen=True)
class ProviderAccount:
    """What a provider told us about the person who just signed in."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool


@dataclass(frozen=True)
class Takeover:
    """What an unverified local account held when its verified owner took it over."""

    workflows: int
    revoked_tokens: int


@dataclass(frozen=True)
class ProviderSignIn:
    user: User
    takeover: Takeover | None = None


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
    return (await sign_in_with_provider(session, account=account)).user


async def sign_in_with_provider(
    session: AsyncSession, *, account: ProviderAccount
) -> ProviderSignIn:
    """Who signs in, and what was taken away from an unverified account it took over."""
    identity = await find_identity(session, provider=account.provider, subject=account.subject)
    if identity is not None:
        _refresh(identity, account)
        session.add(identity)
        user = await get_user(session, user_id=identity.user_id)
        assert user is not None
        return ProviderSignIn(user)
    if not account.email:
        raise AccountConflict("The provider did not share an e-mail address with Hookline.")
    if not account.email_verified:
        raise AccountConflict(
            "Your e-mail address is not verified with this provider, so Hookline cannot "
            "tell that it is yours. Verify it there, or sign in the way you did before."
        )
    user = await find_user_by_email(session, email=account.email)
    takeover = None
    if user is None:
        user = await create_user(session, email=account.email)
    elif user.password_hash is not None and not await _has_identity(session, user_id=user.id):
        takeover = await _take_over_unverified(session, user)
    assert user.id is not None
    identity = Identity(user_id=user.id, provider=account.provider, subject=account.subject)
    _refresh(identity, account)
    session.add(identity)
    await session.flush()
    return ProviderSignIn(user, takeover)


async def _has_identity(session: AsyncSession, *, user_id: int | None) -> bool:
    query = select(Identity.id).where(Identity.user_id == user_id).limit(1)
    return (await session.exec(query)).first() is not None


async def _take_over_unverified(session: AsyncSession, user: User) -> Takeover:
    """A local sign-up never proved it owns this e-mail; its owner just did.

    Whoever chose the local password may not be the owner (account takeover by signing
    up first): the password goes, every session is signed out, every API token revoked.
    """
    now = utcnow()
    tokens_query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .where(col(ApiToken.revoked_at).is_(None))
    )
    tokens = list((await session.exec(tokens_query)).all())
    for token in tokens:
        token.revoked_at = now
        session.add(token)
    count_query = select(func.count()).select_from(Workflow).where(Workflow.user_id == user.id)
    workflows = int((await session.exec(count_query)).one())
    user.password_hash = None
    user.session_version += 1
    session.add(user)
    return Takeover(workflows=workflows, revoked_tokens=len(tokens))


def _refresh(identity: Identity, account: ProviderAccount) -> None:
    identity.email = normalize_email(account.email) if account.email else None
    identity.email_verified = account.email_verified
    identity.last_login_at = utcnow()
