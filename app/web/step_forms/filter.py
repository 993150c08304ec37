"""Editor form of the filter step: all/any, plus rows of conditions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.web.secrets import SecretBox
from app.web.step_forms.base import Config, Problems, StepFormType
from app.web.step_forms.conditions import (
    PLACED,
    conditions_config,
    conditions_from,
    read_conditions,
)
from app.web.step_forms.model import ConditionForm, FormData, StepForm


def _read(form: FormData, prefix: str, step: StepForm) -> None:
    step.conditions = read_conditions(form, prefix)


def _to_config(step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
    conditions, problems = conditions_config(step.conditions, "conditions")
    return {"match": step.value("match", "all"), "conditions": conditions}, problems


def _from_config(config: Mapping[str, Any], step: StepForm) -> None:
    step.conditions = conditions_from(config.get("conditions"))


def _start(step: StepForm) -> None:
    step.conditions = [ConditionForm()]


FORM = StepFormType(
    type_name="filter",
    template="steps/filter.html",
    fields=("match",),
    defaults={"match": "all"},
    placed=re.compile(rf"match|{PLACED}"),
    to_config=_to_config,
    from_config=_from_config,
    read_extra=_read,
    start=_start,
)
