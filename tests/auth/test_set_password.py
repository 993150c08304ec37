"""Setting a password on the account page: provider-only users add one, others change it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.web.asgi import create_app
from tests.auth.conftest import (
    Client,
    csrf_token,
    return_from_provider,
    signed_in_email,
    start_sign_in,
    with_providers,
)
from tests.auth.test_local_accounts import sign_in
from tests.support.fake_github import FakeGitHub, running_fake_github

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with running_fake_github() as fake:
        fake.add_account("octocat", "octo@example.com", verified=True)
        yield fake


def _app(settings: Settings, github: FakeGitHub, *, local: bool = True) -> object:
    return create_app(with_providers(settings, github.sign_in_settings(), local=local))


@pytest.fixture
async def browser(settings: Settings, github: FakeGitHub) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=_app(settings, github), base_url="http://testserver.local") as c:
        yield c


async def github_sign_in(client: Client, github: FakeGitHub) -> None:
    callback = github.authorize(await start_sign_in(client, "github"), "octocat")
    await return_from_provider(client, callback)
    assert await signed_in_email(client) == "octo@example.com"


async def post_password(client: Client, **fields: str) -> tuple[int, BeautifulSoup]:
    token = await csrf_token(client, "/account")
    answer = await client.post("/account/password", data={**fields, "_csrf_token": token})
    return answer.status_code, BeautifulSoup(answer.text, "html.parser")


async def test_provider_user_sets_a_password_then_signs_in_with_it(
    browser: Client, github: FakeGitHub, settings: Settings
) -> None:
    await github_sign_in(browser, github)
    page = BeautifulSoup((await browser.get("/account")).text, "html.parser")
    assert page.select_one("#password h2").text == "Set a password"
    assert page.select_one("#current_password") is None  # nothing to confirm yet

    async with AsyncTestClient(
        app=_app(settings, github), base_url="http://testserver.local"
    ) as phone:
        await github_sign_in(phone, github)
        status, page = await post_password(browser, new_password=NEW_PASSWORD)
        assert status == 200
        assert "You can now also sign in" in page.select_one("#password-changed").text
        assert await signed_in_email(browser) == "octo@example.com"
        assert await signed_in_email(phone) is None  # other sessions are signed out

    async with AsyncTestClient(
        app=_app(settings, github), base_url="http://testserver.local"
    ) as laptop:
        assert await sign_in(laptop, "octo@example.com", "wrong password!") == 400
        assert await sign_in(laptop, "octo@example.com", NEW_PASSWORD) in (302, 303)
        assert await signed_in_email(laptop) == "octo@example.com"
    # the provider still signs in too
    await browser.post("/signout", headers={"x-csrftoken": browser.cookies["hookline_csrf"]})
    await github_sign_in(browser, github)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_changing_a_set_password_needs_the_current_one(
    browser: Client, github: FakeGitHub
) -> None:
    await github_sign_in(browser, github)
    assert (await post_password(browser, new_password=NEW_PASSWORD))[0] == 200
    page = BeautifulSoup((await browser.get("/account")).text, "html.parser")
    assert page.select_one("#password h2").text == "Change password"
    status, page = await post_password(browser, new_password="another long passphrase")
    assert status == 400
    assert "not correct" in page.select_one("#current_password-error").text
    status, page = await post_password(
        browser, current_password="guess guess guess", new_password="another long passphrase"
    )
    assert status == 400
    status, page = await post_password(browser, current_password=NEW_PASSWORD, new_password="short")
    assert status == 400 and "at least 10 characters" in page.select_one("#new_password-error").text
    status, page = await post_password(
        browser, current_password=NEW_PASSWORD, new_password="another long passphrase"
    )
    assert status == 200 and "Password changed" in page.select_one("#password-changed").text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_wrong_current_passwords_are_rate_limited(
    browser: Client, github: FakeGitHub
) -> None:
    await github_sign_in(browser, github)
    assert (await post_password(browser, new_password=NEW_PASSWORD))[0] == 200
    for _ in range(5):  # LOGIN_MAX_FAILURES
        fields = {"current_password": "guess guess guess", "new_password": "x" * 12}
        assert (await post_password(browser, **fields))[0] == 400
    right = {"current_password": NEW_PASSWORD, "new_password": "y" * 12}
    assert (await post_password(browser, **right))[0] == 429


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_setting_a_password_needs_the_csrf_token(browser: Client, github: FakeGitHub) -> None:
    await github_sign_in(browser, github)
    answer = await browser.post("/account/password", data={"new_password": NEW_PASSWORD})
    assert answer.status_code == 403
    page = BeautifulSoup((await browser.get("/account")).text, "html.parser")
    assert page.select_one("#password h2").text == "Set a password"  # nothing was saved


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_password_form_when_local_accounts_are_off(
    settings: Settings, github: FakeGitHub
) -> None:
    app = _app(settings, github, local=False)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await github_sign_in(client, github)
        page = BeautifulSoup((await client.get("/account")).text, "html.parser")
        assert page.select_one("#password") is None
        token = await csrf_token(client, "/account")
        answer = await client.post(
            "/account/password", data={"new_password": NEW_PASSWORD, "_csrf_token": token}
        )
        assert answer.status_code == 404
