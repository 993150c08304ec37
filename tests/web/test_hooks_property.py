"""Property: whatever bytes and content type arrive, the URL answers 2xx/4xx (never 5xx) and,
when it stores the request, the stored raw body is exactly what was sent."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.web.hooks_support import make_hook

HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-16",
            "application/vnd.api+json",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "multipart/form-data; boundary=b",
            "multipart/form-data",
            "application/xml",
            "text/xml; charset=bogus",
            "text/plain; charset=shift_jis",
            "application/octet-stream",
            "",
        ]
    ),
    HEADER_TEXT,
)
BODIES = st.one_of(
    st.binary(max_size=600),
    st.sampled_from(
        [
            b'{"a": 1.50, "b": [1, 2, {"c": null}]}',
            b"\xef\xbb\xbf[1, 2]",
            b"a[b][c]=1&items[]=x&items[]=y&a=2",
            b'--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\nhi\r\n--b--\r\n',
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
            b"7615917337495251231",
        ]
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=BODIES,
    content_type=CONTENT_TYPES,
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
)
async def test_hook_never_5xx_and_stores_exact_bytes(
    client: AsyncTestClient,
    api_user: ApiUser,
    body: bytes,
    content_type: str | None,
    method: str,
) -> None:
    _, path = await make_hook(client, api_user, {"methods": ["POST", "PUT", "PATCH", "DELETE"]})
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = await client.request(method, path, content=body, headers=headers)

    assert 200 <= answer.status_code < 500, answer.text
    assert answer.status_code == 202
    event_id = answer.json()["event_id"]
    stored = await client.get(f"/api/v1/events/{event_id}", headers=api_user.headers)
    assert stored.status_code == 200, stored.text
    assert base64.b64decode(stored.json()["body_base64"]) == body
