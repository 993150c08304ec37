"""The immediate answer a workflow sends back, and files uploaded in multipart bodies."""

from __future__ import annotations

import hashlib

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.web.hooks_support import event_detail, make_hook


async def test_custom_response_uses_status_type_and_trigger_template(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {
        "response": {
            "status": 200,
            "content_type": "application/xml",
            "body": "<Response><Message>Got {{ trigger.body.Body }} from {{ trigger.query.src }}"
            " via {{ trigger.headers['x-carrier'] }} (#{{ event_id }})</Message></Response>",
        }
    }
    _, path = await make_hook(client, api_user, trigger)
    answer = await client.post(
        path + "?src=web",
        content=b"Body=hello+there&From=%2B15551234567",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Carrier": "acme"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    event_id = answer.headers["x-hookline-event-id"]
    assert answer.text == (
        f"<Response><Message>Got hello there from web via acme (#{event_id})</Message></Response>"
    )


async def test_default_response_is_202_json_with_event_id(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    _, path = await make_hook(client, api_user)
    answer = await client.post(path, json={"a": 1})
    assert answer.status_code == 202
    assert answer.json() == {"event_id": int(answer.headers["x-hookline-event-id"])}


MULTIPART = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="note"\r\n\r\n'
    b"two files\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="photo"; filename="cat \xc3\xa9.png"\r\n'
    b"Content-Type: image/png\r\n\r\n"
    b"\x89PNG\r\n\x1a\n\x00\x01binary\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="doc"; filename="notes.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"<script>alert(1)</script>\r\n"
    b"--XyZ--\r\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x01binary"


async def test_multipart_files_are_stored_listed_and_downloadable_by_owner_only(
    client: AsyncTestClient, api_user: ApiUser, other_user: ApiUser
) -> None:
    _, path = await make_hook(client, api_user)
    answer = await client.post(
        path, content=MULTIPART, headers={"Content-Type": "multipart/form-data; boundary=XyZ"}
    )
    assert answer.status_code == 202
    event = await event_detail(client, api_user, answer.json()["event_id"])
    photo, doc = event["files"]
    assert (photo["field"], photo["filename"], photo["content_type"]) == (
        "photo",
        "cat é.png",
        "image/png",
    )
    assert (photo["size"], photo["sha256"]) == (len(PNG), hashlib.sha256(PNG).hexdigest())
    assert event["parsed"]["note"] == "two files"
    assert event["parsed"]["photo"]["sha256"] == photo["sha256"]

    download = await client.get(photo["download_url"], headers=api_user.headers)
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "application/octet-stream"
    assert "attachment" in download.headers["content-disposition"]
    stranger = await client.get(photo["download_url"], headers=other_user.headers)
    assert stranger.status_code == 404
    wrong_event = await client.get(
        f"/api/v1/events/{event['id'] + 1}/files/{photo['id']}", headers=api_user.headers
    )
    assert wrong_event.status_code == 404
    assert doc["filename"] == "notes.txt"
