"""Bulk replay: a range's failed runs replay one after another, oldest event first."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

import app.store.bulk_replays
from app.store.tables import utcnow
from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.support.page_session import csrf_token, sign_in_browser_session
from tests.worker.conftest import BASE, create_workflow, finished_run, http_step, post_hook

TWO_STEPS = ["/status/404", "/status/404"]


def numbered_steps(sink: LocalServer, paths: list[str]) -> list[dict[str, Any]]:
    return [
        http_step(sink.url(path + "?n={{ trigger.body.n }}&step=" + str(i)))
        for i, path in enumerate(paths)
    ]


async def failed_runs(
    client: AsyncTestClient, user: ApiUser, workflow: dict[str, Any], count: int
) -> list[dict[str, Any]]:
    runs = []
    for n in range(count):
        await post_hook(client, workflow, json.dumps({"n": n}).encode())
    page = await client.get(f"/api/v1/workflows/{workflow['id']}/runs", headers=user.headers)
    for item in reversed(page.json()["items"]):
        runs.append(await finished_run(client, user, item["id"]))
    return runs


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def test_failed_runs_replay_in_original_order_one_after_another(
    client: AsyncTestClient, api_user: ApiUser, other_user: ApiUser, sink: LocalServer
) -> None:
    workflow = await create_workflow(client, api_user, numbered_steps(sink, ["/a", "/status/500"]))
    start = utcnow() - timedelta(seconds=1)
    originals = await failed_runs(client, api_user, workflow, 4)
    assert [r["status"] for r in originals] == ["failed"] * 4
    # Event 1 is replayed by hand first and succeeds: the bulk replay must not send it again.
    await client.put(
        f"/api/v1/workflows/{workflow['id']}",
        json={"steps": numbered_steps(sink, ["/slow", "/b"])},
        headers=api_user.headers,
    )
    sink.release.set()
    manual = await client.post(
        f"/api/v1/runs/{originals[1]['id']}/replay", headers=api_user.headers
    )
    await finished_run(client, api_user, manual.json()["run_ids"][0])
    sink.received.clear()
    sink.release.clear()  # the first replayed run now waits at /slow until released

    url = f"/api/v1/workflows/{workflow['id']}/bulk-replay"
    window = {"from": iso(start), "to": iso(utcnow() + timedelta(seconds=1))}
    assert (await client.post(url, json=window, headers=other_user.headers)).status_code == 404
    answer = await client.post(url, json=window, headers=api_user.headers)
    assert answer.status_code == 201, answer.text
    replay = answer.json()
    assert replay["total"] == 3
    assert [i["source_run_id"] for i in replay["items"]] == [originals[n]["id"] for n in (0, 2, 3)]
    busy = await client.post(url, json=window, headers=api_user.headers)
    assert busy.status_code == 409 and "still going" in busy.json()["error"]
    await wait_for(lambda: len(sink.received) == 1)  # event 0's run is in its first step
    waiting = await client.get(f"/api/v1/bulk-replays/{replay['id']}", headers=api_user.headers)
    assert [i["status"] for i in waiting.json()["items"]] == ["running", "waiting", "waiting"]
    assert [i["run_id"] is None for i in waiting.json()["items"]] == [False, True, True]
    sink.release.set()

    async def finished() -> dict[str, Any] | None:
        got = await client.get(f"/api/v1/bulk-replays/{replay['id']}", headers=api_user.headers)
        return got.json() if got.json()["finished_at"] else None

    done = await wait_for(finished)
    assert [i["status"] for i in done["items"]] == ["done"] * 3
    seen = [(r.path.split("?")[0], r.path.split("n=")[1][0]) for r in sink.received]
    assert seen == [
        ("/slow", "0"),
        ("/b", "0"),
        ("/slow", "2"),
        ("/b", "2"),
        ("/slow", "3"),
        ("/b", "3"),
    ]
    runs = [await finished_run(client, api_user, i["run_id"]) for i in done["items"]]
    for earlier, later in itertools.pairwise(runs):
        started = datetime.fromisoformat(later["created_at"])
        assert started >= datetime.fromisoformat(earlier["finished_at"]), "one after another"
    other = f"/api/v1/bulk-replays/{replay['id']}"
    assert (await client.get(other, headers=other_user.headers)).status_code == 404


async def test_too_many_or_none_get_a_plain_answer(
    client: AsyncTestClient, api_user: ApiUser, sink: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.store.bulk_replays, "MAX_BULK_REPLAY", 2)
    workflow = await create_workflow(client, api_user, numbered_steps(sink, ["/status/404"]))
    start = utcnow() - timedelta(seconds=1)
    await failed_runs(client, api_user, workflow, 3)
    url = f"/api/v1/workflows/{workflow['id']}/bulk-replay"
    window = {"from": iso(start), "to": iso(utcnow() + timedelta(seconds=1))}
    too_many = await client.post(url, json=window, headers=api_user.headers)
    assert too_many.status_code == 409
    assert "There are 3 failed runs" in too_many.json()["error"]
    assert "at most 2 can be replayed at once" in too_many.json()["error"]
    past = {"from": "0001-01-01T00:00:00", "to": "2020-01-02T00:00:05"}
    none = await client.post(url, json=past, headers=api_user.headers)
    assert none.status_code == 409
    assert (
        "no failed runs to replay between 0001-01-01 00:00:00 and 2020-01-02 00:00:05 UTC"
        in (none.json()["error"])
    )
    backwards = await client.post(
        url, json={"from": window["to"], "to": window["from"]}, headers=api_user.headers
    )
    assert backwards.status_code == 400 and "after its start" in backwards.text


async def test_workflow_page_form_starts_a_bulk_replay_and_shows_progress(
    client: AsyncTestClient, sink: LocalServer
) -> None:
    await sign_in_browser_session(client, "hana@example.com", "correct horse battery")
    fields = {
        "_csrf_token": csrf_token((await client.get("/workflows/new")).text),
        "name": "flaky",
        "enabled": "on",
        "steps-0-type": "http_request",
        "steps-0-method": "POST",
        "steps-0-url": sink.url("/status/404"),
        "steps-0-enabled": "on",
    }
    detail_path = (await client.post("/workflows/new", data=fields)).url.path
    detail = BeautifulSoup((await client.get(detail_path)).text, "html.parser")
    hook = str(detail.select_one("#hook-url")["value"])  # type: ignore[index]
    await client.post(hook.removeprefix(BASE), json={"n": 1})

    async def failed() -> bool:
        page = BeautifulSoup((await client.get(detail_path)).text, "html.parser")
        return page.select_one("#runs [data-status=failed]") is not None

    await wait_for(failed)
    form = detail.select_one("form[action$='/bulk-replay']")
    assert form is not None
    for name in ("from", "to"):
        field = form.select_one(f"input[name={name}]")
        assert field is not None and "UTC" in detail.select_one(f"label[for={field['id']}]").text  # type: ignore[union-attr]
    now = datetime.now(UTC)
    data = {
        "_csrf_token": csrf_token(str(detail)),
        "from": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "to": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    assert (
        await client.post(f"{detail_path}/bulk-replay", data={**data, "_csrf_token": ""})
    ).status_code == 403
    started = await client.post(f"{detail_path}/bulk-replay", data=data)
    assert started.status_code == 200 and started.url.path.startswith("/bulk-replays/")

    async def finished_page() -> BeautifulSoup | None:
        page = BeautifulSoup((await client.get(started.url.path)).text, "html.parser")
        return page if "finished" in page.select_one("#bulk-replay-progress").text else None  # type: ignore[union-attr]

    page = await wait_for(finished_page)
    shown = [data[end].replace("T", " ") + ":00" for end in ("from", "to")]
    assert f"created from {shown[0]} to {shown[1]} UTC" in page.get_text(" ", strip=True)
    assert (
        page.select_one("#bulk-replay-progress").get_text(" ", strip=True).startswith("1 of 1 done")
    )  # type: ignore[union-attr]
    rows = page.select("#bulk-replay-items tbody tr")
    assert [row["data-status"] for row in rows] == ["done"]
