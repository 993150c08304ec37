"""Sessions: sign-out needs CSRF, and 'sign out of all other browsers' ends copied cookies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.web.asgi import create_app
from tests.auth.conftest import Client, csrf_token, sign_up, signed_in_email

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def browser(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as c:
        yield c


async def test_signout_needs_the_csrf_token_then_signs_out(browser: Client) -> None:
    await sign_up(browser, "ann@example.com")
    assert (await browser.post("/signout")).status_code == 403  # a forged cross-site post
    assert await signed_in_email(browser) == "ann@example.com"
    token = browser.cookies["hookline_csrf"]
    answer = await browser.post("/signout", headers={"x-csrftoken": token}, follow_redirects=False)
    assert answer.headers["location"] == "/signin"
    assert await signed_in_email(browser) is None


async def test_signing_out_other_browsers_ends_a_copied_cookie(
    browser: Client, settings: Settings
) -> None:
    await sign_up(browser, "ann@example.com")
    stolen = browser.cookies["hookline_session"]
    async with AsyncTestClient(
        app=create_app(settings), base_url="http://testserver.local"
    ) as thief:
        thief.cookies.set("hookline_session", stolen, domain="testserver.local")
        assert await signed_in_email(thief) == "ann@example.com"
        token = await csrf_token(browser, "/account")
        answer = await browser.post("/account/sessions/end-others", data={"_csrf_token": token})
        assert answer.status_code == 200
        page = BeautifulSoup(answer.text, "html.parser")
        assert "signed out" in page.select_one("#sessions-ended").text
        assert await signed_in_email(thief) is None
        assert await signed_in_email(browser) == "ann@example.com"  # this browser stays in


async def test_a_refused_request_gives_its_database_connection_back(
    browser: Client, settings: Settings
) -> None:
    await sign_up(browser, "ann@example.com")
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as stale:
        pool = app.state.sessions.kw["bind"].sync_engine.pool
        stale.cookies.set(
            "hookline_session", browser.cookies["hookline_session"], "testserver.local"
        )
        token = await csrf_token(browser, "/account")
        await browser.post("/account/sessions/end-others", data={"_csrf_token": token})
        refused = await stale.get("/account", follow_redirects=False)
        assert refused.headers["location"] == "/signin?next=/account"
        api = await stale.get("/api/v1/workflows", headers={"Authorization": "Bearer hkl_nope"})
        assert api.status_code == 401
        assert pool.checkedout() == 0  # nothing held open (on SQLite: the write lock)
