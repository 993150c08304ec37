"""Which editor form each step type uses, and the "Add a step" choices (from action help)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.integrations.registry import UnknownActionType, get_action
from app.web.step_forms.base import StepFormType
from app.web.step_forms.delay import FORM as DELAY_FORM
from app.web.step_forms.discord_message import FORM as DISCORD_MESSAGE_FORM
from app.web.step_forms.email import FORM as EMAIL_FORM
from app.web.step_forms.filter import FORM as FILTER_FORM
from app.web.step_forms.formatter import FORM as FORMATTER_FORM
from app.web.step_forms.http_request import FORM as HTTP_REQUEST_FORM
from app.web.step_forms.paths import FORM as PATHS_FORM
from app.web.step_forms.slack_message import FORM as SLACK_MESSAGE_FORM

_FORMS: dict[str, StepFormType] = {}
# Short names for cards and the chooser (the action titles read as sentences).
LABELS = {
    "http_request": "HTTP request",
    "slack_message": "Slack message",
    "discord_message": "Discord message",
    "email": "E-mail",
    "filter": "Filter (only continue if…)",
    "paths": "Paths (if / otherwise)",
    "delay": "Delay",
    "formatter": "Format data",
}


@dataclass(frozen=True)
class StepChoice:
    """One entry of the "Add a step" chooser."""

    type_name: str
    label: str
    blurb: str


def register(form: StepFormType) -> None:
    if form.type_name in _FORMS and _FORMS[form.type_name] is not form:
        raise ValueError(f'A step form for "{form.type_name}" is already registered.')
    _FORMS[form.type_name] = form


def find_form(type_name: str) -> StepFormType | None:
    return _FORMS.get(type_name)


def step_label(type_name: str) -> str:
    return LABELS.get(type_name, type_name)


def step_choices(*, nested: bool = False) -> list[StepChoice]:
    """Every step type a list can take, with the first sentence of its help."""
    return [
        StepChoice(name, step_label(name), _first_sentence(name))
        for name in _FORMS
        if not (nested and name == "paths")
    ]


def _first_sentence(type_name: str) -> str:
    try:
        text = get_action(type_name).help
    except UnknownActionType:
        return ""
    sentence = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return sentence.split(", for example")[0].rstrip(".") + "."


for _form in (
    HTTP_REQUEST_FORM,
    SLACK_MESSAGE_FORM,
    DISCORD_MESSAGE_FORM,
    EMAIL_FORM,
    FILTER_FORM,
    PATHS_FORM,
    DELAY_FORM,
    FORMATTER_FORM,
):
    register(_form)
