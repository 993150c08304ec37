"""Editor form of the Discord message step: webhook URL (kept secret), content, username."""

from __future__ import annotations

import re

from app.web.secrets import SecretBox
from app.web.step_forms.base import Config, Problems, StepFormType, blank_to_none
from app.web.step_forms.model import StepForm


def _to_config(step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
    config = {
        "webhook_url": step.value("webhook_url").strip(),
        "content": step.value("content"),
        "username": blank_to_none(step.value("username")),
    }
    return config, {}


FORM = StepFormType(
    type_name="discord_message",
    template="steps/discord_message.html",
    fields=("webhook_url", "content", "username"),
    secrets=("webhook_url",),
    templated=("content", "username"),
    placed=re.compile(r"webhook_url|content|username"),
    to_config=_to_config,
)
