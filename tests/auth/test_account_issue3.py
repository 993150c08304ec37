"""Accounts (issue #3): error pages are HTML, a taken-over account loses its API tokens,
signing out refuses the cookie everywhere, and account forms redirect after POST."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import AuthSettings, Settings
from app.web.asgi import create_app
from tests.auth.conftest import (
    Client,
    csrf_token,
    return_from_provider,
    sign_up,
    signed_in_email,
    start_sign_in,
)
from tests.auth.provider_support import MockProvider

PASSWORD = "correct horse battery"


@pytest.fixture
async def browser(settings: Settings) -> AsyncIterator[Client]:
    tight = settings.model_copy(update={"auth": AuthSettings(providers=(), login_max_failures=2)})
    async with AsyncTestClient(app=create_app(tight), base_url="http://testserver.local") as c:
        yield c


def assert_html_page(answer: object, status: int, message: str) -> None:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    page = BeautifulSoup(answer.text, "html.parser")  # type: ignore[attr-defined]
    assert message in page.get_text()


async def post_form(client: Client, path: str, form_page: str, **fields: str) -> object:
    token = await csrf_token(client, form_page)
    return await client.post(path, data={**fields, "_csrf_token": token}, follow_redirects=False)


async def test_every_failed_account_form_answers_an_html_page(browser: Client) -> None:
    short = await post_form(browser, "/signup", "/signup", email="a@example.com", password="x")
    assert_html_page(short, 400, "at least 10 characters")
    bad = await post_form(browser, "/signup", "/signup", email="nobody", password=PASSWORD)
    assert_html_page(bad, 400, "name@example.com")
    for _ in range(2):
        wrong = await post_form(browser, "/signin", "/signin", email="a@x.io", password="nope")
        assert_html_page(wrong, 400, "Wrong e-mail or password.")
    blocked = await post_form(browser, "/signin", "/signin", email="a@x.io", password="nope")
    assert_html_page(blocked, 429, "Too many failed sign-ins")

    await sign_up(browser, "ann@example.com", PASSWORD)
    fields = {"current_password": "not it at all", "new_password": "another long one"}
    refused = await post_form(browser, "/account/password", "/account", **fields)
    assert_html_page(refused, 400, "current password is not correct")


async def test_signed_out_cookie_is_refused_by_another_web_process(
    browser: Client, settings: Settings
) -> None:
    await sign_up(browser, "ann@example.com", PASSWORD)
    copied = browser.cookies["hookline_session"]
    await browser.post("/signout", headers={"x-csrftoken": browser.cookies["hookline_csrf"]})
    assert await signed_in_email(browser) is None
    # Another web process (its own app, same database) gets the copied cookie.
    async with AsyncTestClient(
        app=create_app(settings), base_url="http://testserver.local"
    ) as thief:
        thief.cookies.set("hookline_session", copied, domain="testserver.local")
        assert await signed_in_email(thief) is None
        refused = await thief.get("/account", follow_redirects=False)
        assert refused.status_code in (302, 303)


async def test_account_forms_redirect_so_a_reload_repeats_nothing(browser: Client) -> None:
    await sign_up(browser, "ann@example.com", PASSWORD)
    created = await post_form(browser, "/account/tokens", "/account", name="deploy")
    assert created.status_code in (302, 303)  # type: ignore[attr-defined]
    shown = BeautifulSoup((await browser.get("/account")).text, "html.parser")
    assert shown.select_one("#new-token-value")["value"].startswith("hkl_")
    reloaded = BeautifulSoup((await browser.get("/account")).text, "html.parser")
    assert reloaded.select_one("#new-token") is None  # shown once
    assert len(reloaded.select("tr[data-token-id]")) == 1

    ended = await post_form(browser, "/account/sessions/end-others", "/account")
    assert ended.status_code in (302, 303)  # type: ignore[attr-defined]
    page = BeautifulSoup((await browser.get("/account")).text, "html.parser")
    assert "signed out" in page.select_one("#sessions-ended").text

    fields = {"current_password": PASSWORD, "new_password": "another long one"}
    changed = await post_form(browser, "/account/password", "/account", **fields)
    assert changed.status_code in (302, 303)  # type: ignore[attr-defined]
    page = BeautifulSoup((await browser.get("/account")).text, "html.parser")
    assert "Password changed" in page.select_one("#password-changed").text


async def test_verified_owner_taking_over_ends_the_squatters_api_access(
    oidc_client: Client, provider: MockProvider
) -> None:
    await sign_up(oidc_client, "victim@example.com", PASSWORD)  # the squatter signs up first
    created = await post_form(oidc_client, "/account/tokens", "/account", name="squat")
    assert created.status_code in (302, 303)  # type: ignore[attr-defined]
    page = BeautifulSoup((await oidc_client.get("/account")).text, "html.parser")
    api = {"Authorization": f"Bearer {page.select_one('#new-token-value')['value']}"}
    workflow = {"name": "Exfiltrate", "enabled": True, "steps": []}
    made = await oidc_client.post("/api/v1/workflows", json=workflow, headers=api)
    assert made.status_code == 201, made.text
    await oidc_client.post(
        "/signout", headers={"x-csrftoken": oidc_client.cookies.get("hookline_csrf", "")}
    )

    provider.add_user("victim-idp", "victim@example.com", verified=True)
    callback = provider.authorize(await start_sign_in(oidc_client), "victim-idp")
    landed = await return_from_provider(oidc_client, callback)
    assert landed.headers["location"] == "/account"
    assert (await oidc_client.get("/api/v1/workflows", headers=api)).status_code == 401
    page = BeautifulSoup((await oidc_client.get("/account")).text, "html.parser")
    notice = page.select_one("#account-notice").get_text(" ", strip=True)
    assert "1 workflow and 1 API token" in notice and "revoked" in notice
    assert "Mock ID" in notice
    again = BeautifulSoup((await oidc_client.get("/account")).text, "html.parser")
    assert again.select_one("#account-notice") is None  # once


@pytest.mark.parametrize(
    "typed", ["a b@example.com", "<ann@example.com>", "ann@example.com\nBcc: x@example.com", "ann@"]
)
async def test_signup_refuses_addresses_that_are_not_e_mail(browser: Client, typed: str) -> None:
    answer = await post_form(browser, "/signup", "/signup", email=typed, password=PASSWORD)
    assert_html_page(answer, 400, "Enter an e-mail address like name@example.com.")
    assert await signed_in_email(browser) is None


async def test_cli_user_creation_refuses_a_bad_address(settings: Settings) -> None:
    from app.auth.user_admin import create_user_with_token

    with pytest.raises(ValueError, match=r"name@example\.com"):
        await create_user_with_token(
            settings, email="ops @example.com", password=None, with_token=False
        )


async def test_an_expired_form_says_what_to_do_in_plain_words(browser: Client) -> None:
    await browser.get("/signin")
    stale = await browser.post(
        "/signin", data={"email": "a@example.com", "password": PASSWORD, "_csrf_token": "old"}
    )
    assert_html_page(stale, 403, "This form has expired or was sent from another page.")
    assert "CSRF" not in stale.text
