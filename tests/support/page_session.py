"""Driving the HTML pages like a browser: CSRF tokens from forms, signing up a session."""

from __future__ import annotations

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on the page."""
    field = BeautifulSoup(html, "html.parser").find("input", {"name": "_csrf_token"})
    assert field is not None, "the page has no CSRF field"
    return str(field["value"])  # type: ignore[index]


async def sign_in_browser_session(client: AsyncTestClient, email: str, password: str) -> None:  # type: ignore[type-arg]
    """Sign up through the form; the client then carries the session cookie."""
    page = await client.get("/signup")
    answer = await client.post(
        "/signup",
        data={"email": email, "password": password, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text
