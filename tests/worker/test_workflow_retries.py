"""Each workflow may set its own number of tries; the run page says when the next is due."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from app.settings import Settings
from tests.conftest import ApiUser, wait_for
from tests.support.local_http import LocalServer
from tests.support.page_session import csrf_token, sign_in_browser_session
from tests.worker.conftest import (
    app_client,
    create_workflow,
    http_step,
    latest_finished_run,
    post_hook,
)


def with_retries(settings: Settings, *, tries: int, first_delay: float) -> Settings:
    broker = settings.broker.model_copy(
        update={"retry_max_tries": tries, "retry_first_delay_seconds": first_delay}
    )
    return settings.model_copy(update={"broker": broker})


@pytest.mark.parametrize(("operator", "own", "sent"), [(1, 3, 3), (3, 1, 1), (2, None, 2)])
async def test_workflow_tries_override_the_operator_default(
    settings: Settings,
    api_user: ApiUser,
    sink: LocalServer,
    operator: int,
    own: int | None,
    sent: int,
) -> None:
    async with app_client(with_retries(settings, tries=operator, first_delay=0.1)) as client:
        answer = await client.post(
            "/api/v1/workflows",
            json={
                "name": "w",
                "steps": [http_step(sink.url("/status/503"))],
                "retry_max_tries": own,
            },
            headers=api_user.headers,
        )
        assert answer.status_code == 201 and answer.json()["retry_max_tries"] == own
        await post_hook(client, answer.json(), b"{}")
        run = await latest_finished_run(client, api_user, answer.json()["id"])
    assert run["status"] == "failed"
    assert len(sink.received) == sent
    assert [s["attempt"] for s in run["steps"]] == list(range(1, sent + 1))


async def test_retry_tries_are_validated_and_kept_by_partial_updates(
    settings: Settings, api_user: ApiUser, sink: LocalServer
) -> None:
    async with app_client(settings) as client:
        workflow = await create_workflow(client, api_user, [http_step(sink.url("/in"))])
        path = f"/api/v1/workflows/{workflow['id']}"
        too_many = await client.put(path, json={"retry_max_tries": 11}, headers=api_user.headers)
        assert too_many.status_code == 400
        assert "retry_max_tries" in too_many.text
        await client.put(path, json={"retry_max_tries": 4}, headers=api_user.headers)
        renamed = await client.put(path, json={"name": "renamed"}, headers=api_user.headers)
        assert renamed.json()["retry_max_tries"] == 4
        cleared = await client.put(path, json={"retry_max_tries": None}, headers=api_user.headers)
        assert cleared.json()["retry_max_tries"] is None


async def test_retries_form_and_run_page_show_when_the_next_try_is_due(
    settings: Settings, sink: LocalServer
) -> None:
    async with app_client(with_retries(settings, tries=1, first_delay=3600)) as client:
        await sign_in_browser_session(client, "erin@example.com", "correct horse battery")
        created = await client.post(
            "/workflows/new",
            data={
                "_csrf_token": csrf_token((await client.get("/workflows/new")).text),
                "name": "flaky",
                "enabled": "on",
                "steps-0-type": "http_request",
                "steps-0-method": "POST",
                "steps-0-url": sink.url("/status/503"),
                "steps-0-enabled": "on",
            },
            follow_redirects=False,
        )
        detail_path = created.headers["location"]
        detail = await client.get(detail_path)
        form = {"_csrf_token": csrf_token(detail.text), "retry_max_tries": "12"}
        bad = await client.post(f"{detail_path}/retries", data=form)
        assert bad.status_code == 400 and "from 1 (no retries) to 10" in bad.text
        form["retry_max_tries"] = "3"
        saved = await client.post(f"{detail_path}/retries", data=form, follow_redirects=False)
        assert saved.status_code in (302, 303)
        page = BeautifulSoup((await client.get(detail_path)).text, "html.parser")
        field = page.select_one("#retry-max-tries")
        assert field is not None and field["value"] == "3"
        assert page.select_one("label[for=retry-max-tries]") is not None

        hook_url = page.select_one("#hook-url")
        assert hook_url is not None
        await client.post(str(hook_url["value"]).removeprefix("http://testserver.local"), json={})
        await wait_for(lambda: len(sink.received) == 1)

        async def waiting_run_page() -> BeautifulSoup | None:
            runs = BeautifulSoup((await client.get(detail_path)).text, "html.parser")
            link = runs.select_one("#runs a[href^='/runs/']")
            if link is None:
                return None
            run_page = BeautifulSoup((await client.get(str(link["href"]))).text, "html.parser")
            return run_page if run_page.select_one("#next-try") else None

        run_page = await wait_for(waiting_run_page)
    note = run_page.select_one("#next-try").get_text(" ", strip=True)
    assert "Next try of step 1 (attempt 2) is due at" in note and "UTC" in note
    assert run_page.select_one("#retry-run") is None, "only a failed run offers a retry"
