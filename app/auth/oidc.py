"""OAuth 2 / OpenID Connect sign-in with authlib: authorization URL, callback, id_token.

Authorization code flow with `state`, PKCE S256 and (OIDC) `nonce`, all three kept in
the encrypted session cookie between the redirect and the callback. The id_token's
signature (provider JWKS), issuer, audience, expiry and nonce are checked with joserfc
(authlib's JOSE library). GitHub is OAuth 2 only: its user API gives the account id and
the verified primary e-mail. Provider calls use their own client with explicit timeouts
(operator-configured hosts, so not the SSRF-guarded client of workflow steps).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, cast

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.auth.provider_api import (
    ProviderEndpoints,
    fetch_endpoints,
    fetch_github_account,
    fetch_json,
)
from app.settings import SignInProvider
from app.store.identities import ProviderAccount

CLOCK_LEEWAY_SECONDS = 60


class SignInFailed(Exception):
    """A sign-in that did not work; the message is shown as is on the sign-in page."""


@dataclass(frozen=True)
class PendingSignIn:
    """What the session remembers between the redirect to the provider and the callback."""

    provider: str
    state: str
    nonce: str
    code_verifier: str
    next: str

    def as_session(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object) -> PendingSignIn | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{key: str(data[key]) for key in cls.__dataclass_fields__})
        except KeyError:
            return None


def new_code_verifier() -> str:
    """A PKCE code verifier: 64 characters from the unreserved set (RFC 7636: 43-128)."""
    return str(generate_token(64))


def _client(provider: SignInProvider, redirect_uri: str, http_timeout: float) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=httpx.Timeout(http_timeout),
        follow_redirects=False,
    )


async def begin_sign_in(
    provider: SignInProvider, *, redirect_uri: str, http_timeout: float, next_path: str
) -> tuple[str, PendingSignIn]:
    """The provider URL to send the browser to, and what to remember until it comes back."""
    pending = PendingSignIn(
        provider=provider.name,
        state=generate_token(32),
        nonce=generate_token(32),
        code_verifier=new_code_verifier(),
        next=next_path,
    )
    async with _client(provider, redirect_uri, http_timeout) as client:
        endpoints = await fetch_endpoints(client, provider)
        extra = {"nonce": pending.nonce} if provider.kind == "oidc" else {}
        url, _state = client.create_authorization_url(
            endpoints.authorization,
            state=pending.state,
            code_verifier=pending.code_verifier,
            **extra,
        )
    return str(url), pending


async def finish_sign_in(
    provider: SignInProvider,
    pending: PendingSignIn | None,
    *,
    params: Mapping[str, str],
    redirect_uri: str,
    http_timeout: float,
) -> ProviderAccount:
    """Check the callback, redeem the code, validate the id_token; who signed in."""
    code = _checked_code(provider, pending, params)
    assert pending is not None
    try:
        async with _client(provider, redirect_uri, http_timeout) as client:
            endpoints = await fetch_endpoints(client, provider)
            token = await client.fetch_token(
                endpoints.token, code=code, code_verifier=pending.code_verifier
            )
            if provider.kind == "github":
                return await fetch_github_account(client, provider)
            claims = await _id_token_claims(client, provider, endpoints, token, pending.nonce)
            return await _oidc_account(client, provider, endpoints, claims)
    except OAuthError as exc:
        raise SignInFailed(
            f"{provider.label} did not accept this sign-in ({exc.error}). Please try again."
        ) from exc
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise SignInFailed(
            f"Hookline could not complete the sign-in with {provider.label}. Please try again."
        ) from exc


def _checked_code(
    provider: SignInProvider, pending: PendingSignIn | None, params: Mapping[str, str]
) -> str:
    if params.get("error"):
        if params["error"] == "access_denied":
            raise SignInFailed(f"Sign-in with {provider.label} was cancelled.")
        raise SignInFailed(f"{provider.label} refused the sign-in ({params['error']}).")
    state = params.get("state", "")
    if (
        pending is None
        or pending.provider != provider.name
        or not secrets.compare_digest(state.encode(), pending.state.encode())
    ):
        raise SignInFailed(
            "This sign-in link has expired or was already used. Please sign in again."
        )
    code = params.get("code", "")
    if not code:
        raise SignInFailed(f"{provider.label} sent no authorization code. Please try again.")
    return code


async def _id_token_claims(
    client: AsyncOAuth2Client,
    provider: SignInProvider,
    endpoints: ProviderEndpoints,
    token: Mapping[str, Any],
    nonce: str,
) -> dict[str, Any]:
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignInFailed(f"{provider.label} sent no id_token; is this an OpenID provider?")
    keys = KeySet.import_key_set(cast(Any, await fetch_json(client, endpoints.jwks)))
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": endpoints.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        decoded = jwt.decode(id_token, keys, algorithms=list(endpoints.signing_algorithms))
        registry.validate(decoded.claims)
    except JoseError as exc:
        raise SignInFailed(
            f"The identity token from {provider.label} is not valid ({exc.error}). "
            "Please try again."
        ) from exc
    return dict(decoded.claims)


async def _oidc_account(
    client: AsyncOAuth2Client,
    provider: SignInProvider,
    endpoints: ProviderEndpoints,
    claims: dict[str, Any],
) -> ProviderAccount:
    if not claims.get("email") and endpoints.userinfo:
        info = await fetch_json(client, endpoints.userinfo, token=True)
        if info.get("sub") == claims["sub"]:
            claims = {
                **claims,
                "email": info.get("email"),
                "email_verified": info.get("email_verified"),
            }
    email = claims.get("email")
    verified = claims.get("email_verified")
    return ProviderAccount(
        provider=provider.name,
        subject=str(claims["sub"]),
        email=email if isinstance(email, str) and email else None,
        email_verified=verified is True or verified == "true",
    )
