"""Senders that gzip their webhooks: the event keeps the exact bytes, steps see the fields."""

from __future__ import annotations

import base64
import gzip

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.web.hooks_support import event_detail, github_headers, make_hook

JSON = b'{"order": {"id": 42}}'


async def test_a_gzipped_json_body_is_parsed_and_stored_as_sent(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    secret = "gzip-secret"
    _, path = await make_hook(
        client, api_user, {"signature": {"preset": "github", "secret": secret}}
    )
    sent = gzip.compress(JSON)
    headers = github_headers(secret, sent) | {"Content-Encoding": "gzip"}  # signed as sent
    answer = await client.post(path, content=sent, headers=headers)
    assert answer.status_code == 202, answer.text

    detail = await event_detail(client, api_user, answer.json()["event_id"])
    assert base64.b64decode(detail["body_base64"]) == sent
    assert detail["body_kind"] == "json"
    assert detail["parsed"] == {"order": {"id": 42}}
    assert detail["warnings"] == []


async def test_an_unreadable_coding_is_stored_with_a_warning_that_names_it(
    client: AsyncTestClient,  # type: ignore[type-arg]
    api_user: ApiUser,
) -> None:
    _, path = await make_hook(client, api_user)
    headers = {"Content-Type": "application/json", "Content-Encoding": "br"}
    answer = await client.post(path, content=b"\x0b\x02\x80{}\x03", headers=headers)
    assert answer.status_code == 202

    detail = await event_detail(client, api_user, answer.json()["event_id"])
    assert detail["parsed"] is None
    assert any("compressed with br" in warning for warning in detail["warnings"])
