"""A failed run resumes at its failed step: same run, new attempt, earlier outputs kept."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings
from tests.conftest import ApiUser
from tests.support.local_http import LocalServer
from tests.support.page_session import csrf_token, sign_in_browser_session
from tests.worker.conftest import (
    app_client,
    create_workflow,
    finished_run,
    http_step,
    latest_finished_run,
    post_hook,
)


async def test_retry_resumes_the_same_run_with_the_current_step(
    client: AsyncTestClient, api_user: ApiUser, other_user: ApiUser, sink: LocalServer
) -> None:
    first = http_step(sink.url("/first"))
    uses_first = '{"earlier": "{{ steps[0].response.body.ok }}"}'
    workflow = await create_workflow(
        client, api_user, [first, http_step(sink.url("/status/500"), body=uses_first)]
    )
    await post_hook(client, workflow, b"{}")
    failed = await latest_finished_run(client, api_user, workflow["id"])
    assert failed["status"] == "failed"
    retry = f"/api/v1/runs/{failed['id']}/retry"
    assert (await client.post(retry, headers=other_user.headers)).status_code == 404

    fixed = http_step(sink.url("/fixed"), body=uses_first)
    await client.put(
        f"/api/v1/workflows/{workflow['id']}",
        json={"steps": [first, fixed]},
        headers=api_user.headers,
    )
    answer = await client.post(retry, headers=api_user.headers)
    assert answer.status_code == 201 and answer.json() == {"run_ids": [failed["id"]]}
    run = await finished_run(client, api_user, failed["id"])

    assert run["status"] == "succeeded" and run["error"] is None
    assert [(s["step_index"], s["attempt"], s["status"]) for s in run["steps"]] == [
        (0, 1, "succeeded"),
        (1, 1, "failed"),
        (1, 2, "succeeded"),
    ]
    assert [r.path for r in sink.received] == ["/first", "/status/500", "/fixed"]
    assert json.loads(sink.received[-1].body) == {"earlier": True}, "step 1's output kept"
    again = await client.post(retry, headers=api_user.headers)
    assert again.status_code == 409
    assert "Only a failed run can be retried" in again.json()["error"]


async def test_a_manual_retry_gets_a_fresh_round_of_automatic_tries(
    settings: Settings, api_user: ApiUser, sink: LocalServer
) -> None:
    broker = settings.broker.model_copy(
        update={"retry_max_tries": 2, "retry_first_delay_seconds": 0.1}
    )
    async with app_client(settings.model_copy(update={"broker": broker})) as client:
        workflow = await create_workflow(client, api_user, [http_step(sink.url("/status/503"))])
        await post_hook(client, workflow, b"{}")
        failed = await latest_finished_run(client, api_user, workflow["id"])
        answer = await client.post(f"/api/v1/runs/{failed['id']}/retry", headers=api_user.headers)
        assert answer.status_code == 201
        run = await finished_run(client, api_user, failed["id"])
    assert [s["status"] for s in run["steps"]] == [
        "retry_scheduled",
        "failed",
        "retry_scheduled",
        "failed",
    ]
    assert "Try 2 of 2 is due at" in run["steps"][2]["error"]
    assert len(sink.received) == 4


async def test_retry_button_on_the_run_page_and_refusal_when_the_step_is_gone(
    client: AsyncTestClient, sink: LocalServer
) -> None:
    await sign_in_browser_session(client, "finn@example.com", "correct horse battery")
    token = csrf_token((await client.get("/workflows/new")).text)
    fields = {"_csrf_token": token, "name": "two", "enabled": "on"}
    for index, url in enumerate([sink.url("/ok"), sink.url("/status/404")]):
        fields |= {
            f"steps-{index}-type": "http_request",
            f"steps-{index}-method": "POST",
            f"steps-{index}-url": url,
            f"steps-{index}-enabled": "on",
        }
    detail_path = (await client.post("/workflows/new", data=fields)).url.path
    detail = BeautifulSoup((await client.get(detail_path)).text, "html.parser")
    hook = str(detail.select_one("#hook-url")["value"])  # type: ignore[index]
    await client.post(hook.removeprefix("http://testserver.local"), json={})

    async def failed_run_page() -> tuple[str, BeautifulSoup] | None:
        page = BeautifulSoup((await client.get(detail_path)).text, "html.parser")
        link = page.select_one("#runs a[href^='/runs/']")
        if link is None:
            return None
        run_page = BeautifulSoup((await client.get(str(link["href"]))).text, "html.parser")
        return (str(link["href"]), run_page) if run_page.select_one("#retry-run") else None

    run_path, run_page = await wait_for_value(failed_run_page)
    assert "step 2" in run_page.select_one("#retry-run").get_text()  # type: ignore[union-attr]
    token = csrf_token(str(run_page))
    # The failed step is removed from the workflow: retrying it cannot mean anything.
    edit = BeautifulSoup((await client.get(f"{detail_path}/edit")).text, "html.parser")
    shorter = {k: v for k, v in fields.items() if not k.startswith("steps-1-")}
    shorter["_csrf_token"] = csrf_token(str(edit))
    await client.post(f"{detail_path}/edit", data={**shorter, "action": "save"})
    refused = await client.post(f"{run_path}/retry", data={"_csrf_token": token})
    assert refused.status_code == 409
    message = BeautifulSoup(refused.text, "html.parser").get_text(" ", strip=True)
    assert "no longer the http_request step that failed" in message


async def wait_for_value(predicate):  # type: ignore[no-untyped-def]
    from tests.conftest import wait_for

    return await wait_for(predicate)
