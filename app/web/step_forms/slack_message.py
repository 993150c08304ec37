"""Editor form of the Slack message step: webhook URL (kept secret), text, optional blocks."""

from __future__ import annotations

import re

from app.web.secrets import SecretBox
from app.web.step_forms.base import (
    Config,
    Problems,
    StepFormType,
    blank_to_none,
    describe_json_problem,
)
from app.web.step_forms.model import StepForm


def _to_config(step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
    blocks = blank_to_none(step.value("blocks"))
    problems: Problems = {}
    json_problem = describe_json_problem(blocks or "")
    if json_problem:
        problems["blocks"] = json_problem
    config = {
        "webhook_url": step.value("webhook_url").strip(),
        "text": step.value("text"),
        "blocks": blocks,
    }
    return config, problems


FORM = StepFormType(
    type_name="slack_message",
    template="steps/slack_message.html",
    fields=("webhook_url", "text", "blocks"),
    secrets=("webhook_url",),
    templated=("text", "blocks"),
    placed=re.compile(r"webhook_url|text|blocks"),
    to_config=_to_config,
)
