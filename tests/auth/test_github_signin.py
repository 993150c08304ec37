"""Signing in with the GitHub preset against a fake GitHub running on localhost."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings, providers_from_environ
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
from tests.auth.test_local_accounts import sign_in
from tests.support.fake_github import FakeGitHub, running_fake_github

PASSWORD = "correct horse battery"
# Flow checks that touch no linking logic need not repeat on PostgreSQL (CI time).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with running_fake_github() as fake:
        yield fake


@pytest.fixture
async def github_client(settings: Settings, github: FakeGitHub) -> AsyncIterator[Client]:
    app = create_app(with_providers(settings, github.sign_in_settings()))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def sign_out(client: Client) -> None:
    await client.post("/signout", headers={"x-csrftoken": client.cookies.get("hookline_csrf", "")})


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def test_github_signin_lands_on_the_dashboard(
    github_client: Client, github: FakeGitHub
) -> None:
    github.add_account("octocat", "octo@example.com", verified=True)
    authorize_url = await start_sign_in(github_client, "github")
    asked = _query(authorize_url)
    assert asked["scope"] == "read:user user:email"
    assert asked["code_challenge_method"] == "S256" and asked["state"]
    answer = await return_from_provider(github_client, github.authorize(authorize_url, "octocat"))
    assert answer.status_code in (302, 303) and answer.headers["location"] == "/"
    dashboard = await github_client.get("/")
    assert dashboard.status_code == 200
    assert await signed_in_email(github_client) == "octo@example.com"
    account = BeautifulSoup((await github_client.get("/account")).text, "html.parser")
    assert "GitHub (octo@example.com)" in account.select_one("#identities").text
    # the fake checked the PKCE verifier against the challenge before issuing the token
    assert github.token_requests[-1]["code_verifier"]


@SQLITE_ONLY
async def test_github_wrong_state_is_refused(github_client: Client, github: FakeGitHub) -> None:
    github.add_account("octocat", "octo@example.com", verified=True)
    callback = github.authorize(await start_sign_in(github_client, "github"), "octocat")
    await return_from_provider(github_client, callback.replace("state=", "state=forged"))
    assert await signed_in_email(github_client) is None
    assert "expired or was already used" in await signin_error(github_client)
    assert github.token_requests == []  # the code was never even redeemed


@SQLITE_ONLY
async def test_github_replayed_code_is_refused(
    github_client: Client, github: FakeGitHub, settings: Settings
) -> None:
    github.add_account("octocat", "octo@example.com", verified=True)
    callback = github.authorize(await start_sign_in(github_client, "github"), "octocat")
    await return_from_provider(github_client, callback)
    assert await signed_in_email(github_client) == "octo@example.com"

    app = create_app(with_providers(settings, github.sign_in_settings()))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as attacker:
        state = _query(await start_sign_in(attacker, "github"))["state"]
        code = _query(callback)["code"]
        await return_from_provider(attacker, f"/auth/github/callback?code={code}&state={state}")
        assert await signed_in_email(attacker) is None
        assert "did not accept this sign-in" in await signin_error(attacker)
    await sign_out(github_client)
    await return_from_provider(github_client, callback)  # the same URL again
    assert await signed_in_email(github_client) is None


async def test_github_unverified_primary_email_does_not_link(
    github_client: Client, github: FakeGitHub
) -> None:
    await sign_up(github_client, "linus@example.com", PASSWORD)
    await sign_out(github_client)
    # a verified secondary address does not make the unverified primary trustworthy
    github.add_account("mallory", "linus@example.com", verified=False, other_emails=("m@x.io",))
    await return_from_provider(
        github_client, github.authorize(await start_sign_in(github_client, "github"), "mallory")
    )
    assert await signed_in_email(github_client) is None
    assert "not verified" in await signin_error(github_client)
    # the real owner's password still works: nothing was linked or reset
    assert await sign_in(github_client, "linus@example.com", PASSWORD) in (302, 303)
    identities = BeautifulSoup((await github_client.get("/account")).text, "html.parser")
    assert identities.select_one("#identities") is None


async def test_github_verified_primary_email_links_to_the_local_account(
    github_client: Client, github: FakeGitHub
) -> None:
    await sign_up(github_client, "grace@example.com", PASSWORD)
    await sign_out(github_client)
    github.add_account("grace", "Grace@Example.com", verified=True)
    await return_from_provider(
        github_client, github.authorize(await start_sign_in(github_client, "github"), "grace")
    )
    assert await signed_in_email(github_client) == "grace@example.com"
    account = BeautifulSoup((await github_client.get("/account")).text, "html.parser")
    assert "grace@example.com" in account.select_one("#identities").text


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("incorrect_client_credentials", "GitHub did not accept this sign-in"),
        (500, "could not complete the sign-in with GitHub"),
    ],
)
async def test_github_failed_token_exchange_returns_to_signin_with_a_message(
    github_client: Client, github: FakeGitHub, failure: str | int, message: str
) -> None:
    github.add_account("octocat", "octo@example.com", verified=True)
    github.token_failure = failure
    callback = github.authorize(await start_sign_in(github_client, "github"), "octocat")
    answer = await return_from_provider(github_client, callback)
    assert answer.status_code in (302, 303) and answer.headers["location"] == "/signin"
    assert await signed_in_email(github_client) is None
    assert message in await signin_error(github_client)


@SQLITE_ONLY
async def test_github_cancelled_signin_says_so(github_client: Client, github: FakeGitHub) -> None:
    callback = github.deny(await start_sign_in(github_client, "github"))
    await return_from_provider(github_client, callback)
    assert await signed_in_email(github_client) is None
    assert "cancelled" in await signin_error(github_client)


def test_github_preset_defaults_to_github_com() -> None:
    environ = {"OAUTH_GITHUB_CLIENT_ID": "id", "OAUTH_GITHUB_CLIENT_SECRET": "secret"}
    (github,) = providers_from_environ(environ)
    assert (github.kind, github.github_web_url) == ("github", "https://github.com")
    assert github.github_api_url == "https://api.github.com"
