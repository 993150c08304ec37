"""Local e-mail + password accounts: limits, the operator switch, sessions, API tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from sqlmodel import select

from app.settings import AuthSettings, Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.tables import ApiToken
from app.web.asgi import create_app
from tests.auth.conftest import Client, csrf_token, sign_up, signed_in_email, with_providers
from tests.auth.provider_support import MockProvider

PASSWORD = "correct horse battery"


@pytest.fixture
async def local_client(settings: Settings) -> AsyncIterator[Client]:
    tight = settings.model_copy(
        update={
            "auth": AuthSettings(providers=(), login_max_failures=3, login_max_failures_per_ip=5)
        }
    )
    async with AsyncTestClient(app=create_app(tight), base_url="http://testserver.local") as client:
        yield client


async def sign_in(client: Client, email: str, password: str) -> int:
    token = await csrf_token(client, "/signin")
    answer = await client.post(
        "/signin",
        data={"email": email, "password": password, "_csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    return answer.status_code


async def test_signup_and_signin_work_without_any_provider(local_client: Client) -> None:
    await sign_up(local_client, "ann@example.com", PASSWORD)
    await local_client.post(
        "/signout", headers={"x-csrftoken": local_client.cookies.get("hookline_csrf", "")}
    )
    assert await signed_in_email(local_client) is None
    assert await sign_in(local_client, "ann@example.com", PASSWORD) in (302, 303)
    assert await signed_in_email(local_client) == "ann@example.com"


async def test_short_password_is_refused(local_client: Client) -> None:
    token = await csrf_token(local_client, "/signup")
    answer = await local_client.post(
        "/signup", data={"email": "a@example.com", "password": "short", "_csrf_token": token}
    )
    assert answer.status_code == 400
    assert "at least 10 characters" in answer.text


async def test_login_is_rate_limited_per_account(local_client: Client, settings: Settings) -> None:
    await sign_up(local_client, "ann@example.com", PASSWORD)
    await local_client.post(
        "/signout", headers={"x-csrftoken": local_client.cookies.get("hookline_csrf", "")}
    )
    for _ in range(3):
        assert await sign_in(local_client, "ann@example.com", "wrong password!") == 400
    # even the right password is refused now, from another web process too
    assert await sign_in(local_client, "ann@example.com", PASSWORD) == 429
    tight = settings.model_copy(update={"auth": AuthSettings(providers=(), login_max_failures=3)})
    async with AsyncTestClient(
        app=create_app(tight), base_url="http://testserver.local"
    ) as other_process:
        assert await sign_in(other_process, "ann@example.com", PASSWORD) == 429


async def test_login_is_rate_limited_per_ip(local_client: Client) -> None:
    await sign_up(local_client, "ann@example.com", PASSWORD)
    await local_client.post(
        "/signout", headers={"x-csrftoken": local_client.cookies.get("hookline_csrf", "")}
    )
    for index in range(5):
        assert await sign_in(local_client, f"guess{index}@example.com", "wrong password!") == 400
    assert await sign_in(local_client, "ann@example.com", PASSWORD) == 429


async def test_local_accounts_switched_off_when_a_provider_exists(
    settings: Settings, provider: MockProvider
) -> None:
    app = create_app(with_providers(settings, provider.sign_in_settings(), local=False))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        page = BeautifulSoup((await client.get("/signin")).text, "html.parser")
        assert page.select_one("#local-signin") is None
        assert page.select_one('a[data-provider="mock"]') is not None
        assert (await client.get("/signup")).status_code == 404
        token = client.cookies.get("hookline_csrf", "")
        refused = await client.post(
            "/signin", data={"email": "a@example.com", "password": PASSWORD, "_csrf_token": token}
        )
        assert refused.status_code == 404


async def test_switch_off_is_ignored_without_providers(settings: Settings) -> None:
    app = create_app(with_providers(settings, local=False))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await sign_up(client, "solo@example.com", PASSWORD)
        assert await signed_in_email(client) == "solo@example.com"


async def test_password_change_signs_out_other_browsers(
    settings: Settings, local_client: Client
) -> None:
    await sign_up(local_client, "ann@example.com", PASSWORD)
    async with AsyncTestClient(
        app=create_app(settings), base_url="http://testserver.local"
    ) as laptop:
        assert await sign_in(laptop, "ann@example.com", PASSWORD) in (302, 303)
        token = await csrf_token(local_client, "/account")
        changed = await local_client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "new_password": "a brand new passphrase",
                "_csrf_token": token,
            },
        )
        assert changed.status_code == 200
        assert await signed_in_email(local_client) == "ann@example.com"  # this browser stays in
        assert await signed_in_email(laptop) is None  # the other one is out
        assert await sign_in(laptop, "ann@example.com", "a brand new passphrase") in (302, 303)


async def test_api_token_is_shown_once_stored_hashed_and_revocable(
    local_client: Client, settings: Settings
) -> None:
    await sign_up(local_client, "ann@example.com", PASSWORD)
    token = await csrf_token(local_client, "/account")
    created = await local_client.post(
        "/account/tokens", data={"name": "deploy", "_csrf_token": token}, follow_redirects=False
    )
    assert created.status_code in (302, 303)  # POST-redirect-GET: a reload creates nothing
    shown = await local_client.get(created.headers["location"])
    plain = BeautifulSoup(shown.text, "html.parser").select_one("#new-token-value")["value"]
    api = {"Authorization": f"Bearer {plain}"}
    assert (await local_client.get("/api/v1/workflows", headers=api)).status_code == 200

    again = await local_client.get("/account")  # the reload: shown once, no second token
    assert plain not in again.text and plain[-4:] in again.text
    assert len(BeautifulSoup(again.text, "html.parser").select("tr[data-token-id]")) == 1
    engine = create_engine(settings.database)
    async with transaction(create_session_factory(engine)) as session:
        rows = (await session.exec(select(ApiToken))).all()
    await engine.dispose()
    assert rows and all(plain not in (row.token_hash, row.name) for row in rows)

    row_id = BeautifulSoup(again.text, "html.parser").select_one("tr[data-token-id]")[
        "data-token-id"
    ]
    token = await csrf_token(local_client, "/account")
    revoked = await local_client.post(
        f"/account/tokens/{row_id}/revoke", data={"_csrf_token": token}, follow_redirects=False
    )
    assert revoked.status_code in (302, 303)
    assert (await local_client.get("/api/v1/workflows", headers=api)).status_code == 401


def test_an_account_without_a_password_never_matches_any_password() -> None:
    from app.auth.passwords import hash_password, verify_password

    assert not verify_password(None, "")
    assert not verify_password(None, "anything at all, really")
    assert not verify_password("not-an-argon2-hash", "anything")
    stored = hash_password(PASSWORD)
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "!")
