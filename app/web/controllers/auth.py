"""Sign-in, sign-up and sign-out: OAuth/OIDC providers and local e-mail + password accounts.

Local accounts can be switched off (LOCAL_ACCOUNTS=false) once a provider is configured.
A failed provider sign-in comes back to /signin with a plain message (kept in the
session for one page view, never in the URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.email_address import email_problem
from app.auth.oidc import PendingSignIn, SignInFailed, begin_sign_in, finish_sign_in
from app.auth.passwords import hash_password, password_problem, verify_password
from app.auth.rate_limit import LoginLimits, login_blocked, record_login_failure
from app.auth.sessions import end_session, flash, start_session, user_from_session
from app.settings import Settings, SignInProvider
from app.store.identities import AccountConflict, Takeover, sign_in_with_provider
from app.store.users import create_user, find_user_by_email

PENDING_KEY = "signin"
FLASH_KEY = "signin_error"
ACCOUNT_NOTICE_KEY = "account_notice"  # shown once on the account page
TOO_MANY = "Too many failed sign-ins. Please wait a few minutes and try again."


@dataclass
class SignInPage:
    providers: tuple[SignInProvider, ...]
    local_enabled: bool
    next: str = "/"
    email: str = ""
    error: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _page(settings: Settings, **values: Any) -> SignInPage:
    return SignInPage(settings.auth.providers, settings.auth.local_enabled, **values)


def _require_local(settings: Settings) -> None:
    if not settings.auth.local_enabled:
        raise NotFoundException("E-mail and password accounts are switched off here.")


def _callback_url(settings: Settings, provider: SignInProvider) -> str:
    return f"{settings.app.public_base_url}/auth/{provider.name}/callback"


def takeover_notice(provider: SignInProvider, takeover: Takeover) -> str:
    """What the verified owner is told after their e-mail's unverified account is theirs."""
    workflows = f"{takeover.workflows} workflow" + ("" if takeover.workflows == 1 else "s")
    tokens = f"{takeover.revoked_tokens} API token" + ("" if takeover.revoked_tokens == 1 else "s")
    return (
        f"You now sign in with {provider.label}. This e-mail address had an account that was "
        f"never verified, with {workflows} and {tokens}. In case someone else created it, "
        "its password was removed, every other browser was signed out and the API tokens "
        "were revoked. Review the workflows and delete any you did not create. You can set a "
        "new password below."
    )


def _provider(settings: Settings, name: str) -> SignInProvider:
    provider = settings.auth.provider(name)
    if provider is None:
        raise NotFoundException("There is no sign-in provider with this name.")
    return provider


class AuthController(Controller):
    path = "/"

    @get("/signin")
    async def signin_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        next: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        if await user_from_session(db, request.session) is not None:
            return Redirect(path=_safe_next(next))
        error = request.session.pop(FLASH_KEY, None)
        page = _page(settings, next=_safe_next(next), error=error)
        return Template("auth/signin.html", context={"page": page})

    @post("/signin")
    async def signin(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        _require_local(settings)
        form = await request.form()
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        target = _safe_next(str(form.get("next", "/")))
        limits = LoginLimits.from_settings(settings.auth)
        ip = _client_ip(request)
        if await login_blocked(db, email=email, ip=ip, limits=limits):
            page = _page(settings, next=target, email=email, error=TOO_MANY)
            return Template("auth/signin.html", context={"page": page}, status_code=429)
        user = await find_user_by_email(db, email=email) if email else None
        password_ok = verify_password(user.password_hash if user else None, password)
        if user is None or not password_ok:  # same work either way: no timing hint
            await record_login_failure(db, email=email, ip=ip, limits=limits)
            page = _page(settings, next=target, email=email, error="Wrong e-mail or password.")
            return Template("auth/signin.html", context={"page": page}, status_code=400)
        start_session(request.session, user)
        return Redirect(path=target)

    @get("/signup")
    async def signup_page(self, settings: NamedDependency[Settings]) -> Template:
        _require_local(settings)
        return Template("auth/signup.html", context={"page": _page(settings)})

    @post("/signup")
    async def signup(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        _require_local(settings)
        form = await request.form()
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        errors: dict[str, str] = {}
        if problem := email_problem(email):
            errors["email"] = problem
        elif await find_user_by_email(db, email=email) is not None:
            errors["email"] = "An account with this e-mail already exists. Sign in instead."
        if problem := password_problem(password):
            errors["password"] = problem
        if errors:
            page = _page(settings, email=email, errors=errors)
            return Template("auth/signup.html", context={"page": page}, status_code=400)
        user = await create_user(db, email=email, password_hash=hash_password(password))
        start_session(request.session, user)
        return Redirect(path="/")

    @post("/signout")
    async def signout(
        self, request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
    ) -> Redirect:
        await end_session(db, request.session)
        request.clear_session()
        return Redirect(path="/signin")

    @get("/auth/{provider_name:str}/login")
    async def provider_login(
        self,
        provider_name: FromPath[str],
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        next: FromQuery[str | None] = None,
    ) -> Redirect:
        """Send the browser to the provider, remembering state, nonce and PKCE verifier."""
        provider = _provider(settings, provider_name)
        try:
            url, pending = await begin_sign_in(
                provider,
                redirect_uri=_callback_url(settings, provider),
                http_timeout=settings.auth.provider_timeout,
                next_path=_safe_next(next),
            )
        except Exception:  # discovery unreachable or malformed: tell the person, not a 500
            request.session[FLASH_KEY] = f"{provider.label} cannot be reached right now."
            return Redirect(path="/signin")
        request.session[PENDING_KEY] = pending.as_session()
        return Redirect(path=url)

    @get("/auth/{provider_name:str}/callback")
    async def provider_callback(
        self,
        provider_name: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> Redirect:
        provider = _provider(settings, provider_name)
        pending = PendingSignIn.from_session(request.session.pop(PENDING_KEY, None))
        try:
            account = await finish_sign_in(
                provider,
                pending,
                params=dict(request.query_params),
                redirect_uri=_callback_url(settings, provider),
                http_timeout=settings.auth.provider_timeout,
            )
            outcome = await sign_in_with_provider(db, account=account)
        except (SignInFailed, AccountConflict) as exc:
            request.session[FLASH_KEY] = str(exc)
            return Redirect(path="/signin")
        assert pending is not None
        start_session(request.session, outcome.user)
        if outcome.takeover is not None:  # the owner must see what was taken away, once
            flash(request.session, ACCOUNT_NOTICE_KEY, takeover_notice(provider, outcome.takeover))
            return Redirect(path="/account")
        return Redirect(path=_safe_next(pending.next))
