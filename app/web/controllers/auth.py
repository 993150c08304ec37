"""Sign-in, sign-up and sign-out pages for local (e-mail + password) accounts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.passwords import hash_password, password_problem, verify_password
from app.auth.sessions import start_session, user_from_session
from app.store.users import create_user, find_user_by_email


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


class AuthController(Controller):
    path = "/"

    @get("/signin")
    async def signin_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        next: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        if await user_from_session(db, request.session) is not None:
            return Redirect(path=_safe_next(next))
        return Template("auth/signin.html", context={"next": _safe_next(next), "email": ""})

    @post("/signin")
    async def signin(
        self, request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
    ) -> Any:
        form = await request.form()
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        target = _safe_next(str(form.get("next", "/")))
        user = await find_user_by_email(db, email=email) if email else None
        if user is None or not verify_password(user.password_hash, password):
            context = {"next": target, "email": email, "error": "Wrong e-mail or password."}
            return Template("auth/signin.html", context=context, status_code=400)
        start_session(request.session, user)
        return Redirect(path=target)

    @get("/signup")
    async def signup_page(self) -> Template:
        return Template("auth/signup.html", context={"email": "", "errors": {}})

    @post("/signup")
    async def signup(
        self, request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
    ) -> Any:
        form = await request.form()
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        errors: dict[str, str] = {}
        if "@" not in email or len(email) > 320:
            errors["email"] = "Enter an e-mail address like name@example.com."
        elif await find_user_by_email(db, email=email) is not None:
            errors["email"] = "An account with this e-mail already exists. Sign in instead."
        problem = password_problem(password)
        if problem:
            errors["password"] = problem
        if errors:
            context = {"email": email, "errors": errors}
            return Template("auth/signup.html", context=context, status_code=400)
        user = await create_user(db, email=email, password_hash=hash_password(password))
        start_session(request.session, user)
        return Redirect(path="/")

    @post("/signout")
    async def signout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect(path="/signin")
