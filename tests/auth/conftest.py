"""Fixtures for sign-in tests: a real OIDC provider on localhost and an app that trusts it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import AuthSettings, Settings, SignInProvider
from tests.auth.provider_support import MockProvider, running_provider

Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
def provider() -> Iterator[MockProvider]:
    with running_provider() as running:
        yield running


def with_providers(settings: Settings, *providers: SignInProvider, local: bool = True) -> Settings:
    auth = AuthSettings(providers=providers, local_accounts=local)
    return settings.model_copy(update={"auth": auth})


@pytest.fixture
async def oidc_client(settings: Settings, provider: MockProvider) -> AsyncIterator[Client]:
    from app.web.asgi import create_app

    app = create_app(with_providers(settings, provider.sign_in_settings()))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


async def start_sign_in(client: Client, name: str = "mock") -> str:
    """Click 'Continue with …'; returns the provider's authorization URL."""
    answer = await client.get(f"/auth/{name}/login", follow_redirects=False)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


async def return_from_provider(client: Client, callback_url: str) -> Any:
    parts = urlsplit(callback_url)
    return await client.get(f"{parts.path}?{parts.query}", follow_redirects=False)


async def signed_in_email(client: Client) -> str | None:
    """The e-mail the account page shows, or None when the browser is not signed in."""
    page = await client.get("/account", follow_redirects=False)
    if page.status_code != 200:
        return None
    return BeautifulSoup(page.text, "html.parser").select_one("#account-email").text


async def signin_error(client: Client) -> str:
    page = await client.get("/signin")
    error = BeautifulSoup(page.text, "html.parser").select_one("#signin-error")
    assert error is not None, "the sign-in page shows no error"
    return error.text


async def csrf_token(client: Client, path: str) -> str:
    page = await client.get(path)
    field = BeautifulSoup(page.text, "html.parser").find("input", {"name": "_csrf_token"})
    assert field is not None, f"{path} has no CSRF field"
    return str(field["value"])


async def sign_up(client: Client, email: str, password: str = "correct horse battery") -> None:
    token = await csrf_token(client, "/signup")
    answer = await client.post(
        "/signup",
        data={"email": email, "password": password, "_csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text
