"""In-app help: the `{{ }}` template reference, with examples rendered against a sample event.

`TEMPLATE_EXAMPLES` is the single list the page shows and the test renders: every
example's output (and warning or error) is what `render_text` gives for `SAMPLE_CONTEXT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import Template

from app.store.tables import User
from app.workflows.engine import template_context, trigger_context
from app.workflows.exact_json import load_exact_json
from app.workflows.templating import OnMissing

SAMPLE_BODY = """{
  "id": 7615917337495251231,
  "amount": 10.50,
  "currency": "eur",
  "created": "2024-05-01T12:30:00Z",
  "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
  "first name": "Ada"
}"""
SAMPLE_STEP_OUTPUT = {
    "response": {
        "status": 201,
        "headers": {"content-type": "application/json"},
        "body": {"id": "ord_123"},
    }
}


def sample_context() -> dict[str, Any]:
    """What templates see for a sample event: a POST to `?source=newsletter` plus one step."""
    trigger = trigger_context(
        method="POST",
        headers=[["Content-Type", "application/json"], ["X-GitHub-Event", "push"]],
        query_pairs=[("source", "newsletter")],
        raw_query="source=newsletter",
        body=load_exact_json(SAMPLE_BODY),
        content_type="application/json",
        event_id=42,
        received_at="2024-05-01T12:30:01+00:00",
    )
    return template_context(trigger, [SAMPLE_STEP_OUTPUT])


@dataclass(frozen=True)
class TemplateExample:
    """One example: the template, what it renders to, and any warning or error it gives."""

    title: str
    template: str
    output: str
    note: str
    on_missing: OnMissing = "warn"
    warning: str | None = None
    error: str | None = None


_MISSING = "trigger.body.customer.phone is missing; keys at trigger.body.customer: name, email"
TEMPLATE_EXAMPLES: tuple[TemplateExample, ...] = (
    TemplateExample(
        "A value from the event body",
        "Hello {{ trigger.body.customer.name }}",
        "Hello Ada Lovelace",
        "Dots walk into the JSON the sender posted.",
    ),
    TemplateExample(
        "A key with spaces or dots",
        "{{ trigger.body['first name'] }}",
        "Ada",
        "Put the key in quotes inside square brackets.",
    ),
    TemplateExample(
        "A header",
        "{{ trigger.headers['x-github-event'] }}",
        "push",
        "Header names are lower-case.",
    ),
    TemplateExample(
        "A query-string value",
        "{{ trigger.query.source }}",
        "newsletter",
        "From the URL the sender called, e.g. …?source=newsletter.",
    ),
    TemplateExample(
        "What an earlier step returned",
        "{{ steps[0].response.body.id }}",
        "ord_123",
        "Steps count from 0: steps[0] is the first step.",
    ),
    TemplateExample(
        "A default value",
        "{{ trigger.body.customer.phone | default('n/a') }}",
        "n/a",
        "Used when the key is missing; no warning is given.",
    ),
    TemplateExample(
        "Upper case",
        "{{ trigger.body.currency | upper }}",
        "EUR",
        "Also: lower, title, trim.",
    ),
    TemplateExample(
        "A value as JSON",
        "{{ trigger.body.customer | tojson }}",
        '{"name": "Ada Lovelace", "email": "ada@example.com"}',
        "Quotes text and writes objects and lists, ready for a JSON body.",
    ),
    TemplateExample(
        "A date",
        "{{ trigger.body.created | date('%Y-%m-%d') }}",
        "2024-05-01",
        "Reads ISO dates and Unix timestamps; the format uses % codes.",
    ),
    TemplateExample(
        "A time in another time zone",
        "{{ trigger.body.created | date('%H:%M', tz='Europe/Paris') }}",
        "14:30",
        "Dates without a time zone are taken as UTC.",
    ),
    TemplateExample(
        "Exact numbers",
        "{{ trigger.body.amount }} / {{ trigger.body.id }}",
        "10.50 / 7615917337495251231",
        "Numbers keep every digit the sender wrote: 10.50 stays 10.50.",
    ),
    TemplateExample(
        "Arithmetic",
        "{{ trigger.body.amount * 2 }}",
        "21.00",
        "Calculations on decimals stay exact.",
    ),
    TemplateExample(
        "A missing key (the default)",
        "Phone: {{ trigger.body.customer.phone }}",
        "Phone: ",
        "The value is left empty and the run shows a warning naming the keys that exist.",
        warning=_MISSING,
    ),
    TemplateExample(
        "A missing key in a strict step",
        "Phone: {{ trigger.body.customer.phone }}",
        "",
        "With “Fail this step when a value it uses is missing” ticked, the step fails instead.",
        on_missing="error",
        error=_MISSING,
    ),
)


@dataclass(frozen=True)
class TemplateHelpPage:
    examples: tuple[TemplateExample, ...]
    sample: dict[str, Any]


class HelpController(Controller):
    path = "/help"

    @get("/templates")
    async def template_reference(self, user: NamedDependency[User]) -> Template:
        context = sample_context()
        sample = {
            "trigger": {key: context["trigger"][key] for key in ("headers", "query", "body")},
            "steps": context["steps"],
        }
        page = TemplateHelpPage(examples=TEMPLATE_EXAMPLES, sample=sample)
        return Template("help/templates.html", context={"page": page, "user": user})
