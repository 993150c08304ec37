"""Every response forbids framing and sniffing; pages get a strict same-origin CSP."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser


async def test_pages_api_and_hooks_carry_the_security_headers(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    made = await client.post("/api/v1/workflows", json={"name": "H"}, headers=api_user.headers)
    hook = made.json()["hook_url"].removeprefix("http://testserver.local")
    answers = {
        "sign-in page": await client.get("/signin"),
        "API": await client.get("/api/v1/workflows", headers=api_user.headers),
        "hook": await client.post(hook, json={"a": 1}),
        "missing page": await client.get("/no/such/page"),
        "static file": await client.get("/static/app.css"),
    }
    for what, answer in answers.items():
        assert answer.headers["x-frame-options"] == "DENY", what
        assert answer.headers["x-content-type-options"] == "nosniff", what
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, what
        assert "unsafe-inline" not in policy, what


async def test_the_api_reference_renders_from_vendored_files_only(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert '<script src="/static/vendor/redoc-2.5.1.standalone.js"' in page.text
    assert "fonts.googleapis" not in page.text
    bundle = await client.get("/static/vendor/redoc-2.5.1.standalone.js")
    assert bundle.status_code == 200 and "Redoc" in bundle.text[:2000]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
