"""An owner deletes an event's data: the facts and its runs stay, the data and replays go."""

from __future__ import annotations

import base64

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from tests.conftest import ApiUser
from tests.support.local_http import LocalServer
from tests.support.page_session import csrf_token, sign_in_browser_session
from tests.worker.conftest import BASE, create_workflow, http_step, latest_finished_run

SECRET_WORD = "customer-ssn-123-45-6789"


async def test_deleting_event_data_keeps_facts_and_runs_and_refuses_replay(
    client: AsyncTestClient, api_user: ApiUser, other_user: ApiUser, sink: LocalServer
) -> None:
    workflow = await create_workflow(
        client, api_user, [http_step(sink.url("/in"), body='{"w": "{{ trigger.body.word }}"}')]
    )
    path = workflow["hook_url"].removeprefix(BASE)
    received = await client.post(
        f"{path}?who={SECRET_WORD}",
        data={"word": SECRET_WORD},
        files={"upload": ("id.txt", SECRET_WORD.encode(), "text/plain")},
        headers={"X-Secret": SECRET_WORD},
    )
    assert received.status_code == 202, received.text
    event_id = received.json()["event_id"]
    run = await latest_finished_run(client, api_user, workflow["id"])
    assert SECRET_WORD in str(run["steps"][0]["request"])
    before = (await client.get(f"/api/v1/events/{event_id}", headers=api_user.headers)).json()

    data_url = f"/api/v1/events/{event_id}/data"
    assert (await client.delete(data_url, headers=other_user.headers)).status_code == 404
    assert (await client.delete(data_url, headers=api_user.headers)).status_code == 204

    after = (await client.get(f"/api/v1/events/{event_id}", headers=api_user.headers)).json()
    assert after["data_deleted_at"] is not None
    assert (after["id"], after["received_at"], after["size"]) == (
        before["id"],
        before["received_at"],
        before["size"],
    )
    assert base64.b64decode(after["body_base64"]) == b""
    assert after["headers"] == [] and after["query"]["raw"] == "" and after["files"] == []
    assert SECRET_WORD not in str(after)
    file_url = before["files"][0]["download_url"]
    assert (await client.get(file_url, headers=api_user.headers)).status_code == 404

    runs = await client.get(f"/api/v1/workflows/{workflow['id']}/runs", headers=api_user.headers)
    assert [r["id"] for r in runs.json()["items"]] == [run["id"]], "its run stays listed"
    kept = (await client.get(f"/api/v1/runs/{run['id']}", headers=api_user.headers)).json()
    assert kept["status"] == "succeeded" and SECRET_WORD not in str(kept)

    replay = await client.post(f"/api/v1/runs/{run['id']}/replay", headers=api_user.headers)
    assert replay.status_code == 409
    assert "data was deleted" in replay.json()["error"]


async def test_event_page_deletes_data_with_csrf_and_shows_the_mark(
    client: AsyncTestClient, sink: LocalServer
) -> None:
    await sign_in_browser_session(client, "gail@example.com", "correct horse battery")
    token = csrf_token((await client.get("/workflows/new")).text)
    created = await client.post(
        "/workflows/new", data={"_csrf_token": token, "name": "w", "enabled": "on"}
    )
    detail = BeautifulSoup(created.text, "html.parser")
    hook = str(detail.select_one("#hook-url")["value"])  # type: ignore[index]
    answer = await client.post(hook.removeprefix(BASE), json={"word": SECRET_WORD})
    event_path = f"/events/{answer.json()['event_id']}"

    page = BeautifulSoup((await client.get(event_path)).text, "html.parser")
    form = page.select_one("form[action$='/delete-data']")
    assert form is not None and "cannot be undone" in str(form.get("data-confirm"))
    without_token = await client.post(f"{event_path}/delete-data", data={})
    assert without_token.status_code == 403
    assert SECRET_WORD in (await client.get(event_path)).text

    await client.post(f"{event_path}/delete-data", data={"_csrf_token": csrf_token(str(page))})
    shown = BeautifulSoup((await client.get(event_path)).text, "html.parser")
    assert shown.select_one("#data-deleted") is not None
    assert shown.select_one("#raw-body") is None and shown.select_one("#delete-event-data") is None
    assert SECRET_WORD not in str(shown)
