"""The field picker after "Use this sample" (issue 5): it still serves the step it was
opened for (only earlier steps listed), and a JSON error reads once, plainly."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.settings import Settings
from app.workflows.definition import StepDefinition
from tests.support.editor_pages import HTMX, sign_up, stored_workflow
from tests.support.page_session import csrf_token


def html(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def sample_form_fields(panel: BeautifulSoup, sample: str) -> dict[str, str]:
    """What the "Use this sample" button sends: the controls of its `.sample-form`."""
    form = panel.select_one(".sample-form")
    assert form is not None
    fields = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[name]")}
    return fields | {"sample": sample}


def section_titles(panel: BeautifulSoup) -> list[str]:
    return [s.get_text(" ", strip=True) for s in panel.select("details.picker-section summary")]


@pytest.fixture
async def owner(client: AsyncTestClient, settings: Settings) -> int:  # type: ignore[type-arg]
    return await sign_up(client, settings, "context@example.com")


async def test_pasted_sample_keeps_the_pickers_step_and_plain_json_errors(
    client: AsyncTestClient,
    settings: Settings,
    owner: int,  # type: ignore[type-arg]
) -> None:
    steps = [
        StepDefinition(type="http_request", name="Look up", config={"url": "https://a.example/"}),
        StepDefinition(
            type="slack_message", config={"webhook_url": "https://a.example/s", "text": "x"}
        ),
        StepDefinition(type="http_request", config={"url": "https://a.example/later"}),
    ]
    workflow_id, _ = await stored_workflow(settings, owner, steps)
    token = csrf_token((await client.get(f"/workflows/{workflow_id}/edit")).text)
    before = html((await client.get(f"/workflows/{workflow_id}/fields?step=1", headers=HTMX)).text)
    assert section_titles(before) == ["Step 1: Look up · HTTP request"]

    bad = await client.post(
        f"/workflows/{workflow_id}/sample",
        data={**sample_form_fields(before, '{"order": '), "_csrf_token": token},
        headers=HTMX,
    )
    assert bad.status_code == 400
    error = html(bad.text).select_one(".field-error[role=alert]")
    assert error is not None
    assert error.get_text().startswith("That is not valid JSON: expecting")
    assert error.get_text().lower().count("valid json") == 1

    good = await client.post(
        f"/workflows/{workflow_id}/sample",
        data={**sample_form_fields(html(bad.text), '{"order": 1}'), "_csrf_token": token},
        headers=HTMX,
    )
    assert good.status_code == 200
    after = html(good.text)
    assert "From the sample you pasted" in after.get_text()
    assert section_titles(after)[-1:] == ["Step 1: Look up · HTTP request"]
    assert not any(title.startswith(("Step 2", "Step 3")) for title in section_titles(after))
