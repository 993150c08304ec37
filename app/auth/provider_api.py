"""What Hookline reads from a sign-in provider besides the token: endpoints and accounts.

OIDC providers publish their endpoints in a discovery document; GitHub's are fixed
(web + API base URLs, overridable for GitHub Enterprise). GitHub accounts come from
its user API: `/user` for the id, `/user/emails` for the verified primary address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.integrations.httpx_client import AsyncOAuth2Client

from app.settings import SignInProvider
from app.store.identities import ProviderAccount


@dataclass(frozen=True)
class ProviderEndpoints:
    authorization: str
    token: str
    issuer: str = ""
    jwks: str = ""
    userinfo: str = ""
    signing_algorithms: tuple[str, ...] = ("RS256",)


async def fetch_json(client: AsyncOAuth2Client, url: str, *, token: bool = False) -> dict[str, Any]:
    """GET a JSON object (with the access token when `token`); ValueError otherwise."""
    headers = {"Accept": "application/json"}
    response = await client.request("GET", url, headers=headers, withhold_token=not token)
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"{url} did not answer with a JSON object")
    return body


async def fetch_endpoints(client: AsyncOAuth2Client, provider: SignInProvider) -> ProviderEndpoints:
    if provider.kind == "github":
        web = provider.github_web_url.rstrip("/")
        return ProviderEndpoints(
            authorization=f"{web}/login/oauth/authorize", token=f"{web}/login/oauth/access_token"
        )
    assert provider.discovery_url is not None
    document = await fetch_json(client, provider.discovery_url)
    algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    return ProviderEndpoints(
        authorization=str(document["authorization_endpoint"]),
        token=str(document["token_endpoint"]),
        issuer=str(document["issuer"]),
        jwks=str(document["jwks_uri"]),
        userinfo=str(document.get("userinfo_endpoint") or ""),
        signing_algorithms=tuple(a for a in map(str, algorithms) if a != "none"),
    )


async def fetch_github_account(
    client: AsyncOAuth2Client, provider: SignInProvider
) -> ProviderAccount:
    api = provider.github_api_url.rstrip("/")
    user = await fetch_json(client, f"{api}/user", token=True)
    response = await client.get(f"{api}/user/emails", headers={"Accept": "application/json"})
    response.raise_for_status()
    emails = response.json()
    entries = [e for e in emails if isinstance(e, dict)] if isinstance(emails, list) else []
    primary = next((entry for entry in entries if entry.get("primary")), None)
    return ProviderAccount(
        provider=provider.name,
        subject=str(user["id"]),
        email=str(primary["email"]) if primary else None,
        email_verified=bool(primary and primary.get("verified") is True),
    )
