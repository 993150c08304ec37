"""The account page: API tokens (created and revoked here, shown once), password, sessions.

Someone who signed in with a provider can set a password (when local accounts are on)
and then also sign in with e-mail + password. Changing an existing password needs the
current one, and wrong guesses count toward the sign-in rate limit. Setting or changing
it bumps the user's session version: every other browser signed in to this account is
signed out; this one gets a fresh session.

Every successful form answers with a redirect back to the page (POST-redirect-GET), so
a reload never repeats it; what it has to say (a new token's value, shown once) rides
in the session for the next view only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.passwords import hash_password, password_problem, verify_password
from app.auth.rate_limit import LoginLimits, login_blocked, record_login_failure
from app.auth.sessions import flash, start_session, take_flash
from app.settings import Settings
from app.store.identities import list_user_identities
from app.store.tables import ApiToken, Identity, User
from app.store.users import (
    change_password,
    end_sessions,
    issue_api_token,
    list_api_tokens,
    revoke_api_token,
)
from app.web.controllers.auth import ACCOUNT_NOTICE_KEY
from app.web.params import ObjectId


@dataclass
class AccountPage:
    user: User
    account_notice: str | None
    tokens: list[ApiToken]
    identities: list[Identity]
    can_set_password: bool
    provider_labels: dict[str, str] = field(default_factory=dict)
    new_token: str | None = None
    new_token_name: str | None = None
    password_notice: str | None = None
    sessions_notice: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


async def _page(
    db: AsyncSession,
    user: User,
    settings: Settings,
    request: Request[Any, Any, Any],
    **values: Any,
) -> dict[str, Any]:
    """The account page, with whatever the last form left for this one view (POST-redirect-GET)."""
    assert user.id is not None
    shown = {key: take_flash(request.session, key) for key in FLASHED}
    values = {**{key: value for key, value in shown.items() if value}, **values}
    page = AccountPage(
        user=user,
        account_notice=take_flash(request.session, ACCOUNT_NOTICE_KEY),
        tokens=await list_api_tokens(db, user_id=user.id),
        identities=await list_user_identities(db, user_id=user.id),
        can_set_password=settings.auth.local_enabled,
        provider_labels={provider.name: provider.label for provider in settings.auth.providers},
        **values,
    )
    return {"page": page, "user": user}


FLASHED = ("new_token", "new_token_name", "password_notice", "sessions_notice")


def _shown_once(request: Request[Any, Any, Any], **values: str) -> Redirect:
    """Answer a form with a redirect (reload does not repeat it); values show on the next GET."""
    for key, value in values.items():
        flash(request.session, key, value)
    return Redirect(path="/account")


class AccountController(Controller):
    path = "/account"

    @get("/")
    async def account_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template:
        context = await _page(db, user, settings, request)
        return Template("account/account.html", context=context)

    @post("/tokens")
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Redirect:
        """Create a token; its value is shown on the next page view only (it is stored hashed)."""
        assert user.id is not None
        name = str((await request.form()).get("name", "")).strip()[:100] or "API token"
        _token, plain = await issue_api_token(db, user_id=user.id, name=name)
        return _shown_once(request, new_token=plain, new_token_name=name)

    @post("/tokens/{token_id:int}/revoke")
    async def revoke_token(
        self,
        token_id: ObjectId,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Redirect:
        assert user.id is not None
        if not await revoke_api_token(db, user_id=user.id, token_id=token_id):
            raise NotFoundException("There is no active API token with this id in your account.")
        return Redirect(path="/account")

    @post("/sessions/end-others")
    async def end_other_sessions(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
    ) -> Redirect:
        """Sign out every other browser (a lost laptop, a copied cookie); this one stays in."""
        await end_sessions(db, user=user)
        start_session(request.session, user)
        notice = "Every other browser signed in to this account was signed out."
        return _shown_once(request, sessions_notice=notice)

    @post("/password")
    async def set_password(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        if not settings.auth.local_enabled:
            raise NotFoundException("E-mail and password accounts are switched off here.")
        form = await request.form()
        new_password = str(form.get("new_password", ""))
        had_password = user.password_hash is not None
        errors: dict[str, str] = {}
        if had_password:
            problem = await _current_password_problem(
                db, user, str(form.get("current_password", "")), request, settings
            )
            if problem:
                errors["current_password"] = problem
        if problem := password_problem(new_password):
            errors["new_password"] = problem
        if errors:
            status = 429 if errors.get("current_password") == TOO_MANY else 400
            context = await _page(db, user, settings, request, errors=errors)
            return Template("account/account.html", context=context, status_code=status)
        await change_password(db, user=user, password_hash=hash_password(new_password))
        start_session(request.session, user)
        notice = (
            "Password changed. Other browsers signed in to this account were signed out."
            if had_password
            else f"Password set. You can now also sign in with {user.email} and this password. "
            "Other browsers signed in to this account were signed out."
        )
        return _shown_once(request, password_notice=notice)


TOO_MANY = "Too many wrong passwords. Please wait a few minutes and try again."


async def _current_password_problem(
    db: AsyncSession,
    user: User,
    attempt: str,
    request: Request[Any, Any, Any],
    settings: Settings,
) -> str | None:
    """Why the current password does not unlock the change (guesses are rate-limited)."""
    limits = LoginLimits.from_settings(settings.auth)
    ip = request.client.host if request.client else "unknown"
    if await login_blocked(db, email=user.email, ip=ip, limits=limits):
        return TOO_MANY
    if verify_password(user.password_hash, attempt):
        return None
    await record_login_failure(db, email=user.email, ip=ip, limits=limits)
    return "Your current password is not correct."
