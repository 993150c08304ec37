"""Lists of step cards: reading them from the form, converting them to and from step
definitions, placing problems on the right card and hiding typed secrets, at any depth
(a paths step holds lists of its own, named `<card>-branches-<n>-steps-<m>-…`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from pydantic import ValidationError

from app.web.secrets import SecretBox
from app.web.step_forms.base import Problems
from app.web.step_forms.model import FormData, StepForm, config_key, is_checked, text_of
from app.web.step_forms.registry import find_form
from app.workflows.definition import StepDefinition

DEFAULT_TYPE = "http_request"
_NESTED = re.compile(r"(branches\.\d+|fallback)\.steps\.\d+\..*")
_STEP_LEVEL = re.compile(r"step\.(name|type|enabled)")


def read_steps(form: FormData, list_prefix: str) -> list[StepForm]:
    """The cards named `<list_prefix>-<n>-…`, in the order of n (each has a `-type` input)."""
    pattern = re.compile(rf"^{re.escape(list_prefix)}-(\d+)-type$")
    indexes = sorted({int(m.group(1)) for key in form if (m := pattern.match(str(key)))})
    return [read_step(form, f"{list_prefix}-{index}") for index in indexes]


def read_step(form: FormData, prefix: str) -> StepForm:
    type_name = text_of(form, f"{prefix}-type").strip() or DEFAULT_TYPE
    kind = find_form(type_name)
    if kind is None:
        name = text_of(form, f"{prefix}-name").strip()
        return StepForm(type=type_name, name=name, enabled=is_checked(form, f"{prefix}-enabled"))
    return kind.read(form, prefix)


def new_step(type_name: str) -> StepForm | None:
    kind = find_form(type_name)
    return kind.new_step() if kind else None


def steps_to_definitions(
    steps: list[StepForm], box: SecretBox, key_of: Callable[[int], str]
) -> tuple[list[StepDefinition], Problems]:
    """Step definitions for these cards; problems keyed `key_of(i) + 'config.url'` etc."""
    definitions: list[StepDefinition] = []
    problems: Problems = {}
    for index, step in enumerate(steps):
        prefix = key_of(index)
        kind = find_form(step.type)
        if kind is None:
            problems[f"{prefix}type"] = f'There is no step type called "{step.type}".'
            continue
        config, local = kind.convert(step, box)
        for key, problem in local.items():
            problems.setdefault(prefix + config_key(key), problem)
        try:
            definitions.append(
                StepDefinition(
                    type=step.type, name=step.name or None, enabled=step.enabled, config=config
                )
            )
        except ValidationError:
            problems[f"{prefix}name"] = "A step name can be at most 200 characters."
    return definitions, problems


def steps_from_definitions(definitions: list[StepDefinition]) -> list[StepForm]:
    """Cards showing stored steps (secrets as references, never values)."""
    steps = []
    for definition in definitions:
        kind = find_form(definition.type)
        step = kind.fill(definition.config) if kind else StepForm(type=definition.type)
        step.name = definition.name or ""
        step.enabled = definition.enabled
        steps.append(step)
    return steps


def place_errors(steps: list[StepForm], errors: Problems, key_of: Callable[[int], str]) -> None:
    """Give each card (nested ones too) the problems that belong to it, by local key."""
    for index, step in enumerate(steps):
        prefix = key_of(index)
        step.error_prefix = prefix
        step.errors = {}
        for key, problem in errors.items():
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix) :]
            if rest == "config":
                step.errors[""] = problem
            elif rest.startswith("config."):
                step.errors[rest.removeprefix("config.")] = problem
            else:
                step.errors[f"step.{rest}"] = problem
        for where, nested in nested_lists(step):
            place_errors(nested, errors, nested_keys(f"{prefix}config.{where}"))


def nested_keys(list_key: str) -> Callable[[int], str]:
    """Problem-key prefixes of a nested list's cards: `<list_key>.steps.<j>.`."""
    return lambda index: f"{list_key}.steps.{index}."


def is_placed(step: StepForm, key: str) -> bool:
    """Whether an input of the card (or a nested card) shows the problem with `key`."""
    kind = find_form(step.type)
    return bool(
        _STEP_LEVEL.fullmatch(key)
        or _NESTED.fullmatch(key)
        or (kind is not None and kind.placed.fullmatch(key))
    )


def nested_lists(step: StepForm) -> Iterator[tuple[str, list[StepForm]]]:
    """A paths card's step lists with their config paths (`branches.0`, `fallback`)."""
    for index, branch in enumerate(step.branches):
        yield f"branches.{index}", branch.steps
    if step.fallback is not None:
        yield "fallback", step.fallback.steps


def protect_steps(steps: list[StepForm], box: SecretBox) -> None:
    """Swap every typed secret (nested cards too) for a pending reference."""
    for step in steps:
        kind = find_form(step.type)
        if kind is not None:
            kind.protect(step, box)
        for _where, nested in nested_lists(step):
            protect_steps(nested, box)
