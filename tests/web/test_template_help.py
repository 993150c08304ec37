"""The template reference page: every example it shows renders exactly as shown, and it is linked."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from app.web.controllers.help import TEMPLATE_EXAMPLES, TemplateExample, sample_context
from app.workflows.templating import TemplateProblem, render_text
from tests.support.page_session import sign_in_browser_session


def outcome_of(template: str, on_missing: str) -> tuple[str, tuple[str, ...], str | None]:
    """What a step would produce from `template` for the sample event: text, warnings, error."""
    try:
        rendered = render_text(template, sample_context(), on_missing=on_missing)  # type: ignore[arg-type]
    except TemplateProblem as problem:
        return "", (), problem.message
    return rendered.value, rendered.warnings, None


@pytest.mark.parametrize("example", TEMPLATE_EXAMPLES, ids=lambda example: example.title)
def test_template_example_renders_as_documented(example: TemplateExample) -> None:
    text, warnings, error = outcome_of(example.template, example.on_missing)
    assert error == example.error
    assert text == example.output
    assert warnings == ((example.warning,) if example.warning else ())


@pytest.fixture
async def help_page(client: AsyncTestClient) -> BeautifulSoup:
    await sign_in_browser_session(client, "gina@example.com", "correct horse battery")
    answer = await client.get("/help/templates")
    assert answer.status_code == 200
    return BeautifulSoup(answer.text, "html.parser")


async def test_template_help_page_shows_what_each_example_really_gives(
    help_page: BeautifulSoup,
) -> None:
    articles = help_page.select("article.template-example")
    assert len(articles) == len(TEMPLATE_EXAMPLES)
    for article, example in zip(articles, TEMPLATE_EXAMPLES, strict=True):
        shown_template = article.select_one(".example-template").text
        text, warnings, error = outcome_of(shown_template, example.on_missing)
        if error is not None:
            assert article.select_one(".example-error").text == error
            assert article.select_one(".example-output") is None
        else:
            assert article.select_one(".example-output").text == text
        shown_warning = article.select_one(".example-warning")
        assert ((shown_warning.text,) if shown_warning else ()) == warnings


async def test_template_help_page_shows_the_sample_event(help_page: BeautifulSoup) -> None:
    sample = help_page.select_one("#sample-data").text
    assert '"x-github-event": "push"' in sample
    assert '"amount": 10.50' in sample
    assert '"source": "newsletter"' in sample


async def test_template_help_is_linked_from_nav_and_editor(
    help_page: BeautifulSoup, client: AsyncTestClient
) -> None:
    nav = help_page.select_one("nav[aria-label='Main']")
    assert nav.find("a", href="/help/templates") is not None
    editor = BeautifulSoup((await client.get("/workflows/new")).text, "html.parser")
    assert editor.select_one("p.hint a[href='/help/templates']") is not None


async def test_template_help_needs_sign_in(client: AsyncTestClient) -> None:
    answer = await client.get("/help/templates", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"].startswith("/signin")
