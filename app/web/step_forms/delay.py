"""Editor form of the delay step: wait for a number of minutes/hours/days, or until a
date and time (which may come from the data), read in a chosen time zone.
"""

from __future__ import annotations

import re

from app.web.secrets import SecretBox
from app.web.step_forms.base import Config, Problems, StepFormType, blank_to_none
from app.web.step_forms.model import StepForm

UNITS = ("seconds", "minutes", "hours", "days", "weeks")


def _to_config(step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
    problems: Problems = {}
    mode = step.value("mode", "for")
    config: Config = {
        "mode": mode,
        "unit": step.value("unit", "minutes"),
        "timezone": step.value("timezone", "UTC").strip() or "UTC",
    }
    if mode == "for":
        amount = step.value("amount").strip()
        try:
            config["amount"] = float(amount) if amount else None
        except ValueError:
            problems["amount"] = "Type a number, such as 15."
    else:
        config["until"] = blank_to_none(step.value("until"))
    return config, problems


FORM = StepFormType(
    type_name="delay",
    template="steps/delay.html",
    fields=("mode", "amount", "unit", "until", "timezone"),
    templated=("until",),
    defaults={"mode": "for", "unit": "minutes", "timezone": "UTC"},
    placed=re.compile(r"mode|amount|unit|until|timezone"),
    to_config=_to_config,
)
