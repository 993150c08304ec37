"""Editor form of the paths step: up to 5 named paths, each with conditions and its own
step cards (`<card>-branches-<n>-steps-<m>-…`), plus an optional fallback path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.integrations.paths import MAX_BRANCHES
from app.web.secrets import SecretBox
from app.web.step_forms.base import Config, Problems, StepFormType
from app.web.step_forms.conditions import (
    PLACED,
    conditions_config,
    conditions_from,
    read_conditions,
)
from app.web.step_forms.model import (
    BranchForm,
    ConditionForm,
    FormData,
    StepForm,
    is_checked,
    text_of,
)
from app.workflows.definition import StepDefinition

_BRANCH = r"branches(\.\d+(\.(name|match|steps|" + PLACED + r"))?)?"
BRANCH_NAMES = ("Path A", "Path B", "Path C", "Path D", "Path E")


def _read(form: FormData, prefix: str, step: StepForm) -> None:
    from app.web.step_forms.steps import read_steps

    pattern = re.compile(rf"^{re.escape(prefix)}-branches-(\d+)-name$")
    indexes = sorted({int(m.group(1)) for key in form if (m := pattern.match(str(key)))})
    for index in indexes:
        owner = f"{prefix}-branches-{index}"
        step.branches.append(
            BranchForm(
                name=text_of(form, f"{owner}-name").strip(),
                match=text_of(form, f"{owner}-match", "all"),
                conditions=read_conditions(form, owner),
                steps=read_steps(form, f"{owner}-steps"),
            )
        )
    if is_checked(form, f"{prefix}-fallback"):
        step.fallback = BranchForm(
            name=text_of(form, f"{prefix}-fallback-name").strip() or "Otherwise",
            steps=read_steps(form, f"{prefix}-fallback-steps"),
        )


def _to_config(step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
    from app.web.step_forms.steps import nested_keys, steps_to_definitions

    problems: Problems = {}
    branches = []
    for b, branch in enumerate(step.branches):
        conditions, found = conditions_config(branch.conditions, f"branches.{b}.conditions")
        steps, nested = steps_to_definitions(branch.steps, box, nested_keys(f"branches.{b}"))
        problems |= found | nested
        branches.append(
            {
                "name": branch.name,
                "match": branch.match,
                "conditions": conditions,
                "steps": [s.model_dump() for s in steps],
            }
        )
    config: Config = {"branches": branches, "fallback": None}
    if step.fallback is not None:
        steps, nested = steps_to_definitions(step.fallback.steps, box, nested_keys("fallback"))
        problems |= nested
        config["fallback"] = {"name": step.fallback.name, "steps": [s.model_dump() for s in steps]}
    return config, problems


def _from_config(config: Mapping[str, Any], step: StepForm) -> None:
    from app.web.step_forms.steps import steps_from_definitions

    def cards(raw: Any) -> list[StepForm]:
        items = raw if isinstance(raw, list) else []
        return steps_from_definitions([StepDefinition.model_validate(item) for item in items])

    step.branches = [
        BranchForm(
            name=str(branch.get("name", "")),
            match=str(branch.get("match", "all")),
            conditions=conditions_from(branch.get("conditions")),
            steps=cards(branch.get("steps")),
        )
        for branch in config.get("branches") or []
        if isinstance(branch, Mapping)
    ]
    fallback = config.get("fallback")
    if isinstance(fallback, Mapping):
        step.fallback = BranchForm(
            name=str(fallback.get("name", "Otherwise")), steps=cards(fallback.get("steps"))
        )


def new_branch(index: int) -> BranchForm:
    name = BRANCH_NAMES[index] if index < len(BRANCH_NAMES) else f"Path {index + 1}"
    return BranchForm(name=name, conditions=[ConditionForm()])


def _start(step: StepForm) -> None:
    step.branches = [new_branch(0)]


FORM = StepFormType(
    type_name="paths",
    template="steps/paths.html",
    placed=re.compile(rf"{_BRANCH}|fallback(\.(name|steps))?"),
    to_config=_to_config,
    from_config=_from_config,
    read_extra=_read,
    start=_start,
)
__all__ = ["FORM", "MAX_BRANCHES", "new_branch"]
