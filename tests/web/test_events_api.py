"""`GET /api/v1/events/{id}`: the stored request, exactly, to its owner only."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.web.hooks_support import event_detail, make_hook


async def test_event_detail_returns_exact_bytes_headers_query_and_exact_numbers(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    _, path = await make_hook(client, api_user)
    body = b'{"amount": 10.0, "id": 7615917337495251231, "tiny": 1e-7, "name": "caf\xc3\xa9"}'
    answer = await client.post(
        path + "?a=1&a=2&b=%20x",
        content=body,
        headers={"Content-Type": "application/json; charset=utf-8", "X-Custom": "kept"},
    )
    raw = await client.get(f"/api/v1/events/{answer.json()['event_id']}", headers=api_user.headers)

    assert raw.headers["content-type"].startswith("application/json")
    assert '"amount": 10.0' in raw.text and '"id": 7615917337495251231' in raw.text
    detail = json.loads(raw.text, parse_float=Decimal)
    assert detail["parsed"]["amount"] == Decimal("10.0")
    assert detail["parsed"]["id"] == 7615917337495251231
    assert base64.b64decode(detail["body_base64"]) == body
    assert detail["method"] == "POST" and detail["size"] == len(body)
    assert detail["content_type"] == "application/json; charset=utf-8"
    assert ["x-custom", "kept"] in detail["headers"]
    assert detail["query"] == {
        "raw": "a=1&a=2&b=%20x",
        "pairs": [["a", "1"], ["a", "2"], ["b", " x"]],
        "values": {"a": ["1", "2"], "b": " x"},
    }
    assert (detail["outcome"], detail["reason"], detail["files"]) == ("accepted", None, [])


async def test_event_detail_of_undecodable_bytes_keeps_them_with_a_warning(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    _, path = await make_hook(client, api_user)
    body = b"\xff\xfe\x00binary\x80"
    answer = await client.post(path, content=body, headers={"Content-Type": "text/plain"})
    detail = await event_detail(client, api_user, answer.json()["event_id"])
    assert base64.b64decode(detail["body_base64"]) == body
    assert detail["parsed"] is None and detail["body_kind"] == "binary"
    assert any("raw bytes" in warning for warning in detail["warnings"])


async def test_event_detail_is_404_for_other_users_and_unknown_ids(
    client: AsyncTestClient, api_user: ApiUser, other_user: ApiUser
) -> None:
    _, path = await make_hook(client, api_user)
    event_id = (await client.post(path, json={"secret": "data"})).json()["event_id"]
    assert (
        await client.get(f"/api/v1/events/{event_id}", headers=other_user.headers)
    ).status_code == 404
    assert (await client.get("/api/v1/events/999999", headers=api_user.headers)).status_code == 404
    assert (await client.get(f"/api/v1/events/{event_id}")).status_code == 401


async def test_workflow_api_masks_trigger_secrets(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    secret = "ghs_very_secret_value_1234"
    trigger = {
        "signature": {"preset": "github", "secret": secret},
        "handshake": {"preset": "meta", "verify_token": "meta-verify-token-5678"},
    }
    workflow_id, _ = await make_hook(client, api_user, trigger)
    shown = (await client.get(f"/api/v1/workflows/{workflow_id}", headers=api_user.headers)).text
    assert secret not in shown and "meta-verify-token-5678" not in shown
    saved = json.loads(shown)["trigger"]
    assert saved["signature"]["secret"].endswith("1234")
    assert saved["signature"]["preset"] == "github"
