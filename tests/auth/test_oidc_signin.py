"""Signing in through a real OpenID Connect provider running on localhost."""

from __future__ import annotations

import socket

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings, SignInProvider
from app.web.asgi import create_app
from tests.auth.conftest import (
    Client,
    return_from_provider,
    sign_up,
    signed_in_email,
    signin_error,
    start_sign_in,
    with_providers,
)
from tests.auth.provider_support import MockProvider, TamperingFront, tampering_front


async def test_oidc_signin_success_lands_on_dashboard(
    oidc_client: Client, provider: MockProvider
) -> None:
    provider.add_user("ada-1", "ada@example.com", verified=True)
    callback = provider.authorize(await start_sign_in(oidc_client), "ada-1")
    answer = await return_from_provider(oidc_client, callback)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"] == "/"
    assert (await oidc_client.get("/")).status_code == 200
    assert await signed_in_email(oidc_client) == "ada@example.com"


async def test_oidc_authorization_request_carries_state_nonce_and_pkce(oidc_client: Client) -> None:
    url = await start_sign_in(oidc_client)
    assert "state=" in url and "nonce=" in url
    assert "code_challenge_method=S256" in url and "code_challenge=" in url


async def test_oidc_wrong_state_is_refused(oidc_client: Client, provider: MockProvider) -> None:
    provider.add_user("ada-1", "ada@example.com", verified=True)
    callback = provider.authorize(await start_sign_in(oidc_client), "ada-1")
    forged = callback.replace("state=", "state=forged")
    await return_from_provider(oidc_client, forged)
    assert await signed_in_email(oidc_client) is None
    assert "expired or was already used" in await signin_error(oidc_client)


async def test_oidc_replayed_code_is_refused(
    oidc_client: Client, provider: MockProvider, settings: Settings
) -> None:
    provider.add_user("ada-1", "ada@example.com", verified=True)
    callback = provider.authorize(await start_sign_in(oidc_client), "ada-1")
    await return_from_provider(oidc_client, callback)
    assert await signed_in_email(oidc_client) == "ada@example.com"
    code = dict(p.split("=", 1) for p in callback.split("?", 1)[1].split("&"))["code"]

    app = create_app(with_providers(settings, provider.sign_in_settings()))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as attacker:
        fresh = await start_sign_in(attacker)
        state = dict(p.split("=", 1) for p in fresh.split("?", 1)[1].split("&"))["state"]
        await attacker.get(f"/auth/mock/callback?code={code}&state={state}", follow_redirects=False)
        assert await signed_in_email(attacker) is None
        assert "did not accept this sign-in" in await signin_error(attacker)
    # the very same callback URL a second time: the session no longer expects it
    await oidc_client.post(
        "/signout", headers={"x-csrftoken": oidc_client.cookies.get("hookline_csrf", "")}
    )
    await return_from_provider(oidc_client, callback)
    assert await signed_in_email(oidc_client) is None


async def test_oidc_cancelled_signin_says_so(oidc_client: Client, provider: MockProvider) -> None:
    callback = provider.deny(await start_sign_in(oidc_client))
    await return_from_provider(oidc_client, callback)
    assert await signed_in_email(oidc_client) is None
    assert "cancelled" in await signin_error(oidc_client)


async def _signin_through(
    front: TamperingFront, settings: Settings, provider: MockProvider
) -> tuple[str | None, str]:
    with tampering_front(front):
        sign_in = provider.sign_in_settings(discovery_url=front.discovery_url)
        app = create_app(with_providers(settings, sign_in))
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            provider.add_user("ada-1", "ada@example.com", verified=True)
            callback = provider.authorize(await start_sign_in(client), "ada-1")
            await return_from_provider(client, callback)
            email = await signed_in_email(client)
            return email, (await signin_error(client)) if email is None else ""


async def test_oidc_untampered_front_signs_in(settings: Settings, provider: MockProvider) -> None:
    email, _ = await _signin_through(TamperingFront(provider), settings, provider)
    assert email == "ada@example.com"


async def test_oidc_bad_id_token_signature_is_refused(
    settings: Settings, provider: MockProvider
) -> None:
    front = TamperingFront(provider, sign_with_unpublished_key=True)
    email, error = await _signin_through(front, settings, provider)
    assert email is None
    assert "identity token" in error and "not valid" in error


async def test_oidc_expired_id_token_is_refused(settings: Settings, provider: MockProvider) -> None:
    front = TamperingFront(provider, overrides={"exp": 1_000_000_000, "iat": 999_999_000})
    email, error = await _signin_through(front, settings, provider)
    assert email is None
    assert "identity token" in error


async def test_oidc_wrong_audience_is_refused(settings: Settings, provider: MockProvider) -> None:
    front = TamperingFront(provider, overrides={"aud": "some-other-app"})
    email, error = await _signin_through(front, settings, provider)
    assert email is None
    assert "identity token" in error


async def test_oidc_wrong_issuer_and_nonce_are_refused(
    settings: Settings, provider: MockProvider
) -> None:
    for overrides in ({"iss": "https://evil.example"}, {"nonce": "replayed-nonce"}):
        email, error = await _signin_through(
            TamperingFront(provider, overrides=overrides), settings, provider
        )
        assert email is None, overrides
        assert "identity token" in error


async def test_verified_email_links_to_the_existing_account(
    oidc_client: Client, provider: MockProvider
) -> None:
    await sign_up(oidc_client, "grace@example.com")
    await oidc_client.post(
        "/signout", headers={"x-csrftoken": oidc_client.cookies.get("hookline_csrf", "")}
    )
    provider.add_user("grace-idp", "Grace@Example.com", verified=True)
    await return_from_provider(
        oidc_client, provider.authorize(await start_sign_in(oidc_client), "grace-idp")
    )
    assert await signed_in_email(oidc_client) == "grace@example.com"
    page = BeautifulSoup((await oidc_client.get("/account")).text, "html.parser")
    assert "Mock ID" in page.select_one("#identities").text  # listed on the account page
    # Whoever set the local password never proved the address: it no longer signs in.
    await oidc_client.post(
        "/signout", headers={"x-csrftoken": oidc_client.cookies.get("hookline_csrf", "")}
    )
    page = await oidc_client.get("/signin")
    token = oidc_client.cookies.get("hookline_csrf", "")
    answer = await oidc_client.post(
        "/signin",
        data={
            "email": "grace@example.com",
            "password": "correct horse battery",
            "_csrf_token": token,
        },
    )
    assert answer.status_code == 400
    assert await signed_in_email(oidc_client) is None


async def test_unverified_email_never_links_or_signs_in(
    oidc_client: Client, provider: MockProvider
) -> None:
    await sign_up(oidc_client, "linus@example.com")
    await oidc_client.post(
        "/signout", headers={"x-csrftoken": oidc_client.cookies.get("hookline_csrf", "")}
    )
    provider.add_user("mallory", "linus@example.com", verified=False)
    await return_from_provider(
        oidc_client, provider.authorize(await start_sign_in(oidc_client), "mallory")
    )
    assert await signed_in_email(oidc_client) is None
    assert "not verified" in await signin_error(oidc_client)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_unreachable_provider_returns_to_signin_with_a_message(settings: Settings) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = SignInProvider(
        name="dead",
        label="Dead ID",
        client_id="c",
        client_secret="s",
        discovery_url=f"http://127.0.0.1:{port}/.well-known/openid-configuration",
    )
    app = create_app(with_providers(settings, dead))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        answer = await client.get("/auth/dead/login", follow_redirects=False)
        assert answer.headers["location"] == "/signin"
        assert "Dead ID cannot be reached right now" in await signin_error(client)
