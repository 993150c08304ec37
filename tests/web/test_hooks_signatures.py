"""Signed senders through the HTTP endpoint: forged requests get 401, run nothing, and show up
in the history as rejected with the reason; vendor handshakes are answered, never stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import quote_plus

from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.fixtures import FIXTURES
from tests.web.hooks_support import events_of, github_headers, make_hook, runs_of

GITHUB_PUSH = (FIXTURES / "github" / "push.payload.json").read_bytes()
STRIPE_PAYMENT = (FIXTURES / "stripe" / "payment_intent.succeeded.json").read_bytes()
GITHUB_SECRET = "It's a Secret to Everybody"
STRIPE_SECRET = "whsec_test_" + "s" * 24
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def _github_headers(body: bytes, secret: str) -> dict[str, str]:
    return github_headers(secret, body, delivery=str(uuid.uuid4()))


def _stripe_header(body: bytes, secret: str, at: int) -> str:
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _slack_headers(body: bytes, secret: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


async def test_github_signed_push_runs_and_forged_push_is_rejected_with_reason(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {"signature": {"preset": "github", "secret": GITHUB_SECRET}}
    workflow_id, path = await make_hook(client, api_user, trigger)

    good = await client.post(
        path, content=GITHUB_PUSH, headers=_github_headers(GITHUB_PUSH, GITHUB_SECRET)
    )
    tampered = GITHUB_PUSH.replace(b'"ref"', b'"REF"', 1)
    forged = await client.post(
        path, content=tampered, headers=_github_headers(GITHUB_PUSH, GITHUB_SECRET)
    )
    wrong_key = await client.post(
        path, content=GITHUB_PUSH, headers=_github_headers(GITHUB_PUSH, "another secret")
    )

    assert good.status_code == 202
    assert (forged.status_code, wrong_key.status_code) == (401, 401)
    assert "signature" in forged.json()["error"].lower()
    outcomes = {e["id"]: e for e in await events_of(client, api_user, workflow_id)}
    assert outcomes[good.json()["event_id"]]["outcome"] == "accepted"
    rejected = outcomes[forged.json()["event_id"]]
    assert rejected["outcome"] == "rejected" and "does not match" in rejected["reason"]
    runs = await runs_of(client, api_user, workflow_id)
    assert [r["event_id"] for r in runs] == [good.json()["event_id"]]


async def test_github_missing_signature_header_is_rejected(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {"signature": {"preset": "github", "secret": GITHUB_SECRET}}
    workflow_id, path = await make_hook(client, api_user, trigger)
    answer = await client.post(
        path, content=GITHUB_PUSH, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 401
    [event] = await events_of(client, api_user, workflow_id)
    assert event["outcome"] == "rejected" and "X-Hub-Signature-256" in event["reason"]


async def test_stripe_signed_event_runs_and_stale_or_forged_ones_do_not(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {"signature": {"preset": "stripe", "secret": STRIPE_SECRET}}
    workflow_id, path = await make_hook(client, api_user, trigger)
    now = int(time.time())
    json_type = {"Content-Type": "application/json; charset=utf-8"}

    fresh = await client.post(
        path,
        content=STRIPE_PAYMENT,
        headers={
            **json_type,
            "Stripe-Signature": _stripe_header(STRIPE_PAYMENT, STRIPE_SECRET, now),
        },
    )
    stale = await client.post(
        path,
        content=STRIPE_PAYMENT,
        headers={
            **json_type,
            "Stripe-Signature": _stripe_header(STRIPE_PAYMENT, STRIPE_SECRET, now - 600),
        },
    )
    forged = await client.post(
        path,
        content=STRIPE_PAYMENT + b" ",
        headers={
            **json_type,
            "Stripe-Signature": _stripe_header(STRIPE_PAYMENT, STRIPE_SECRET, now),
        },
    )
    assert fresh.status_code == 202
    assert (stale.status_code, forged.status_code) == (401, 401)
    events = {e["id"]: e for e in await events_of(client, api_user, workflow_id)}
    assert "seconds old" in events[stale.json()["event_id"]]["reason"]
    assert events[forged.json()["event_id"]]["outcome"] == "rejected"
    assert len(await runs_of(client, api_user, workflow_id)) == 1


async def test_slack_url_verification_is_answered_only_when_signed(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {"signature": {"preset": "slack", "secret": SLACK_SECRET}}
    workflow_id, path = await make_hook(client, api_user, trigger)
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()

    signed = await client.post(path, content=body, headers=_slack_headers(body, SLACK_SECRET))
    unsigned = await client.post(path, content=body, headers={"Content-Type": "application/json"})

    assert signed.status_code == 200
    assert signed.headers["content-type"].startswith("text/plain")
    assert signed.text == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    assert unsigned.status_code == 401
    events = await events_of(client, api_user, workflow_id)
    assert [e["outcome"] for e in events] == ["rejected"]
    assert await runs_of(client, api_user, workflow_id) == []


async def test_meta_hub_challenge_echoes_with_right_token_and_403s_with_wrong_one(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {
        "signature": {
            "preset": "hmac",
            "secret": "app-secret",
            "header": "X-Hub-Signature-256",
            "prefix": "sha256=",
        },
        "handshake": {"preset": "meta", "verify_token": "my verify token"},
    }
    workflow_id, path = await make_hook(client, api_user, trigger)
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
    right = await client.get(f"{path}?{query}my+verify+token")
    wrong = await client.get(f"{path}?{query}guess")
    assert (right.status_code, right.text) == (200, "1158201444")
    assert right.headers["content-type"].startswith("text/plain")
    assert wrong.status_code == 403
    assert await events_of(client, api_user, workflow_id) == []


async def test_echo_handshake_returns_the_named_query_parameter(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    trigger = {"handshake": {"preset": "echo", "echo_param": "validationToken"}}
    workflow_id, path = await make_hook(client, api_user, trigger)
    answer = await client.post(f"{path}?validationToken=Validation%3A+Testing+client")
    assert (answer.status_code, answer.text) == (200, "Validation: Testing client")
    assert await events_of(client, api_user, workflow_id) == []
    normal = await client.post(path, json={"value": 1})
    assert normal.status_code == 202


async def test_twilio_signature_over_the_url_as_received_and_sorted_params(
    client: AsyncTestClient, api_user: ApiUser
) -> None:
    token = "12345678901234567890123456789012"
    trigger = {
        "signature": {"preset": "twilio", "secret": token},
        "response": {"status": 200, "content_type": "text/xml", "body": "<Response/>"},
    }
    workflow_id, path = await make_hook(client, api_user, trigger)
    url = f"http://testserver.local{path}?source=sms%20in"
    params = {"Body": "Hello+world", "From": "+15551234567", "MessageSid": "SM123"}
    signed = url + "".join(f"{k}{v}" for k, v in sorted(params.items()))
    signature = base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest())
    form = "&".join(f"{k}={quote_plus(v)}" for k, v in params.items()).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature.decode(),
    }

    good = await client.post(f"{path}?source=sms%20in", content=form, headers=headers)
    other_query = await client.post(f"{path}?source=other", content=form, headers=headers)

    assert (good.status_code, good.text) == (200, "<Response/>")
    assert other_query.status_code == 401
    assert len(await runs_of(client, api_user, workflow_id)) == 1
