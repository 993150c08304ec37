"""End to end: a vendor's real webhook reaches a workflow and its HTTP chain runs."""

from __future__ import annotations

import json
import uuid

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser, wait_for
from tests.fixtures import FIXTURES
from tests.support.local_http import LocalServer
from tests.support.page_session import sign_in_browser_session

GITHUB_PUSH = (FIXTURES / "github" / "push.payload.json").read_bytes()
STRIPE_PAYMENT = (FIXTURES / "stripe" / "payment_intent.succeeded.json").read_bytes()


def github_headers() -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "123456",
        "User-Agent": "GitHub-Hookshot/a1b2c3d",
    }


async def create_workflow(client: AsyncTestClient, user: ApiUser, steps: list[dict]) -> dict:  # type: ignore[type-arg]
    response = await client.post(
        "/api/v1/workflows",
        json={"name": "Test workflow", "enabled": True, "steps": steps},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def finished_run(client: AsyncTestClient, user: ApiUser, workflow_id: int) -> dict:  # type: ignore[type-arg]
    async def done() -> dict | None:
        page = (
            await client.get(f"/api/v1/workflows/{workflow_id}/runs", headers=user.headers)
        ).json()
        runs = page["items"]
        if runs and runs[0]["status"] in ("succeeded", "failed"):
            return runs[0]
        return None

    run = await wait_for(done)
    detail = await client.get(f"/api/v1/runs/{run['id']}", headers=user.headers)
    return detail.json()


async def test_github_push_maps_fields_to_destination(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    body = '{"repo": "{{ trigger.body.repository.full_name }}", "pusher": "{{ trigger.body.pusher.name }}", "event": "{{ trigger.headers[\'x-github-event\'] }}"}'
    workflow = await create_workflow(
        client,
        api_user,
        [
            {
                "type": "http_request",
                "config": {
                    "method": "POST",
                    "url": sink.url("/in"),
                    "headers": {"Content-Type": "application/json"},
                    "body": body,
                },
            }
        ],
    )
    assert workflow["hook_url"].startswith("http://testserver.local/hooks/")
    hook_path = workflow["hook_url"].removeprefix("http://testserver.local")

    answer = await client.post(hook_path, content=GITHUB_PUSH, headers=github_headers())
    assert answer.status_code == 202
    assert isinstance(answer.json()["event_id"], int)

    run = await finished_run(client, api_user, workflow["id"])
    assert run["status"] == "succeeded", run
    payload = json.loads(GITHUB_PUSH)
    assert len(sink.received) == 1
    assert json.loads(sink.received[0].body) == {
        "repo": payload["repository"]["full_name"],
        "pusher": payload["pusher"]["name"],
        "event": "push",
    }
    step = run["steps"][0]
    assert step["response"]["status"] == 200
    assert step["status"] == "succeeded"

    event = await client.get(f"/api/v1/workflows/{workflow['id']}/events", headers=api_user.headers)
    assert event.json()["items"][0]["id"] == answer.json()["event_id"]


async def test_run_page_shows_succeeded_to_the_owner(
    client: AsyncTestClient, sink: LocalServer
) -> None:
    await sign_in_browser_session(client, "carol@example.com", "correct horse battery")
    page = await client.get("/workflows/new")
    token = BeautifulSoup(page.text, "html.parser").find("input", {"name": "_csrf_token"})["value"]
    form = {
        "_csrf_token": token,
        "name": "Pushes to sink",
        "enabled": "on",
        "steps-0-type": "http_request",
        "steps-0-method": "POST",
        "steps-0-url": sink.url("/pushes"),
        "steps-0-headers": "Content-Type: application/json",
        "steps-0-body": '{"repo": "{{ trigger.body.repository.full_name }}"}',
        "steps-0-enabled": "on",
        "action": "save",
    }
    created = await client.post("/workflows/new", data=form, follow_redirects=False)
    assert created.status_code in (302, 303), created.text
    detail = await client.get(created.headers["location"])
    hook_url = BeautifulSoup(detail.text, "html.parser").find("input", {"id": "hook-url"})["value"]

    answer = await client.post(
        hook_url.removeprefix("http://testserver.local"),
        content=GITHUB_PUSH,
        headers=github_headers(),
    )
    assert answer.status_code == 202

    async def run_link() -> str | None:
        html = BeautifulSoup((await client.get(created.headers["location"])).text, "html.parser")
        row = html.select_one("#runs tbody tr")
        if row and row.select_one("[data-status]")["data-status"] == "succeeded":
            return row.select_one("a")["href"]
        return None

    run_page = BeautifulSoup((await client.get(await wait_for(run_link))).text, "html.parser")
    assert run_page.select_one("#run-status [data-status]")["data-status"] == "succeeded"
    attempt = run_page.select_one(".attempt")
    assert attempt["data-status"] == "succeeded"
    assert (
        "octocat/Hello-World" in attempt.select_one("pre.request").text
        or json.loads(GITHUB_PUSH)["repository"]["full_name"]
        in attempt.select_one("pre.request").text
    )


async def test_stripe_two_step_chain_uses_first_response(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer
) -> None:
    steps = [
        {"type": "http_request", "config": {"method": "GET", "url": sink.url("/echo")}},
        {
            "type": "http_request",
            "config": {
                "method": "POST",
                "url": sink.url("/orders"),
                "body": {
                    "amount": "{{ trigger.body.data.object.amount }}",
                    "currency": "{{ trigger.body.data.object.currency }}",
                    "first_step_method": "{{ steps[0].response.body.method }}",
                },
            },
        },
    ]
    workflow = await create_workflow(client, api_user, steps)
    hook_path = workflow["hook_url"].removeprefix("http://testserver.local")
    answer = await client.post(
        hook_path,
        content=STRIPE_PAYMENT,
        headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": "t=1,v1=x"},
    )
    assert answer.status_code == 202
    run = await finished_run(client, api_user, workflow["id"])
    assert run["status"] == "succeeded", run
    assert [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"]
    stripe = json.loads(STRIPE_PAYMENT)["data"]["object"]
    assert json.loads(sink.received[1].body) == {
        "amount": stripe["amount"],
        "currency": stripe["currency"],
        "first_step_method": "GET",
    }
