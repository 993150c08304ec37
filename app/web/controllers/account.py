"""The account page: API tokens (created and revoked here, shown once), password change.

Changing the password bumps the user's session version: every other browser signed in
to this account is signed out; this one gets a fresh session.
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
from app.auth.sessions import start_session
from app.settings import Settings
from app.store.identities import list_user_identities
from app.store.tables import ApiToken, Identity, User
from app.store.users import change_password, issue_api_token, list_api_tokens, revoke_api_token
from app.web.params import ObjectId


@dataclass
class AccountPage:
    user: User
    tokens: list[ApiToken]
    identities: list[Identity]
    can_set_password: bool
    new_token: str | None = None
    new_token_name: str | None = None
    password_changed: bool = False
    errors: dict[str, str] = field(default_factory=dict)


async def _page(db: AsyncSession, user: User, settings: Settings, **values: Any) -> dict[str, Any]:
    assert user.id is not None
    page = AccountPage(
        user=user,
        tokens=await list_api_tokens(db, user_id=user.id),
        identities=await list_user_identities(db, user_id=user.id),
        can_set_password=settings.auth.local_enabled,
        **values,
    )
    return {"page": page, "user": user}


class AccountController(Controller):
    path = "/account"

    @get("/")
    async def account_page(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template:
        return Template("account/account.html", context=await _page(db, user, settings))

    @post("/tokens")
    async def create_token(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template:
        """Create a token and show its value on this response only (it is stored hashed)."""
        assert user.id is not None
        name = str((await request.form()).get("name", "")).strip()[:100] or "API token"
        _token, plain = await issue_api_token(db, user_id=user.id, name=name)
        context = await _page(db, user, settings, new_token=plain, new_token_name=name)
        return Template("account/account.html", context=context, status_code=201)

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

    @post("/password")
    async def set_password(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[User],
        settings: NamedDependency[Settings],
    ) -> Template:
        if not settings.auth.local_enabled:
            raise NotFoundException("E-mail and password accounts are switched off here.")
        form = await request.form()
        errors: dict[str, str] = {}
        if user.password_hash and not verify_password(
            user.password_hash, str(form.get("current_password", ""))
        ):
            errors["current_password"] = "Your current password is not correct."  # noqa: S105
        if problem := password_problem(str(form.get("new_password", ""))):
            errors["new_password"] = problem
        if errors:
            context = await _page(db, user, settings, errors=errors)
            return Template("account/account.html", context=context, status_code=400)
        new_hash = hash_password(str(form.get("new_password", "")))
        await change_password(db, user=user, password_hash=new_hash)
        start_session(request.session, user)
        context = await _page(db, user, settings, password_changed=True)
        return Template("account/account.html", context=context)
