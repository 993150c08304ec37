"""The contract of one step type's editor form, and the generic parts every type shares.

A type says which inputs it has (`fields`, `checks`, `secrets`), which problem keys an
input shows (`placed`), how its inputs become a config (`to_config`) and how a stored
config fills in inputs beyond its fields (`from_config`). Reading the inputs, keeping secrets out
of the page and putting secrets back on save are the same for every type and live here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.store.sealing import is_secret_key
from app.web.secrets import SecretBox, is_masked, ref_mask, secret_ref
from app.web.step_forms.model import FormData, StepForm, is_checked, plain, text_of
from app.workflows.exact_json import InvalidJson, load_exact_json
from app.workflows.templating import check_template, unknown_roots

Config = dict[str, Any]
Problems = dict[str, str]
TEMPLATE_ROOTS = ("trigger", "steps")
KEEP = "keep-"
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def _no_extra(form: FormData, prefix: str, step: StepForm) -> None:
    return None


def _no_protect(step: StepForm, box: SecretBox) -> None:
    return None


def _no_start(step: StepForm) -> None:
    return None


def _no_fill(config: Mapping[str, Any], step: StepForm) -> None:
    return None


@dataclass(frozen=True)
class StepFormType:
    """How one step type is edited in the page editor."""

    type_name: str
    template: str
    to_config: Callable[[StepForm, SecretBox], tuple[Config, Problems]]
    fields: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    templated: tuple[str, ...] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)
    placed: re.Pattern[str] = re.compile(r"$^")
    read_extra: Callable[[FormData, str, StepForm], None] = _no_extra
    protect_extra: Callable[[StepForm, SecretBox], None] = _no_protect
    start: Callable[[StepForm], None] = _no_start
    from_config: Callable[[Mapping[str, Any], StepForm], None] = _no_fill

    def new_step(self) -> StepForm:
        """A fresh card of this type, ready to fill in."""
        step = StepForm(type=self.type_name, values=dict(self.defaults))
        self.start(step)
        return step

    def read(self, form: FormData, prefix: str) -> StepForm:
        """The step card whose inputs are named `<prefix>-<field>`."""
        step = StepForm(
            type=self.type_name,
            name=text_of(form, f"{prefix}-name").strip(),
            enabled=is_checked(form, f"{prefix}-enabled"),
        )
        step.values = {name: text_of(form, f"{prefix}-{name}") for name in self.fields}
        step.values |= {
            name: "on" if is_checked(form, f"{prefix}-{name}") else "" for name in self.checks
        }
        keep = f"{prefix}-{KEEP}"
        step.keep = {
            key[len(keep) :]: str(value)
            for key, value in form.items()
            if key.startswith(keep) and str(value)
        }
        self.read_extra(form, prefix, step)
        return step

    def fill(self, config: Mapping[str, Any]) -> StepForm:
        """A card showing a stored config: secrets become references, never values."""
        step = StepForm(type=self.type_name, values=dict(self.defaults))
        step.values |= {
            name: plain(config[name]) for name in self.fields + self.checks if name in config
        }
        for name in self.secrets:
            keep_secret(step, name, config.get(name))
        self.from_config(config, step)
        return step

    def protect(self, step: StepForm, box: SecretBox) -> None:
        """Swap secrets typed in this round for pending references before re-showing."""
        for name in self.secrets:
            typed = step.values.get(name, "")
            if typed.strip() and not is_masked(typed):
                step.keep[name] = box.pending(typed.strip())
                step.values[name] = ""
        self.protect_extra(step, box)

    def convert(self, step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
        """The config these inputs describe (secrets put back) and the input problems."""
        config, problems = self.to_config(step, box)
        for key, problem in restore_secrets(config, step.keep, box).items():
            problems.setdefault(key, problem)
        for name in self.templated:
            if name not in config:
                continue  # an input the chosen options do not use (hidden on the page)
            template_problem = describe_template_problem(step.values.get(name, ""))
            if template_problem:
                problems.setdefault(name, template_problem)
        return config, problems


def keep_secret(step: StepForm, path: str, stored: Any) -> None:
    """Show a stored secret as a reference (the input itself stays empty)."""
    if isinstance(stored, str) and stored:
        step.keep[path] = secret_ref(stored)
        step.values[path] = ""


def secret_mask(step: StepForm, path: str) -> str:
    """`••••1234` for a kept secret, '' when none is kept (used by the templates)."""
    ref = step.keep.get(path)
    return ref_mask(ref) if ref else ""


def restore_secrets(config: Config, keep: Mapping[str, str], box: SecretBox) -> Problems:
    """Put kept secrets back where the input was left blank (or still shows the mask)."""
    problems: Problems = {}
    for path, ref in keep.items():
        *parents, leaf = path.split(".")
        holder: Any = config
        for part in parents:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or leaf not in holder:
            continue  # the input is gone (header removed, auth switched off): drop it
        current = holder[leaf]
        if current not in (None, "") and not is_masked(str(current)):
            continue  # a new value was typed
        restored = box.resolve(ref)
        if restored is None:
            problems[parents[0] if parents else leaf] = (
                "The saved secret could not be found any more; type it again."
            )
        else:
            holder[leaf] = restored
    problems |= _leftover_masks(config, keep)
    return problems


def _leftover_masks(config: Config, keep: Mapping[str, str], path: str = "") -> Problems:
    problems: Problems = {}
    for key, value in config.items():
        where = f"{path}{key}"
        if isinstance(value, dict) and key == "headers":
            problems |= _leftover_masks(value, keep, f"{where}.")
        elif (
            is_secret_key(key) and isinstance(value, str) and is_masked(value) and where not in keep
        ):
            field_name = path.removesuffix(".") or key
            problems[field_name] = f"The hidden value of {key} was not kept; type it again."
    return problems


def describe_template_problem(source: str) -> str | None:
    """Say what is wrong with a template input: its syntax (an unclosed `{{`, an unknown
    filter), else the names it reads that do not exist (a typo like `trigerr`).

    Checked here for every templated input, so a form shows all its problems at once even
    when another input (a bad URL) stops the step's own validation early."""
    if "{" not in source:
        return None
    syntax = check_template(source)
    if syntax is not None:
        return syntax
    unknown = unknown_roots(source, TEMPLATE_ROOTS)
    if not unknown:
        return None
    names = ", ".join(f'"{name}"' for name in unknown)
    return (
        f"There is nothing called {names} to insert here: start with trigger (the request "
        "that started the run) or steps (what earlier steps returned)."
    )


def blank_to_none(text: str) -> str | None:
    return text.strip() or None


def describe_json_problem(text: str) -> str | None:
    """Say why a JSON document (templates inside count as filled in) is not valid JSON."""
    if not text.strip() or "{%" in text or check_template(text) is not None:
        return None  # template logic builds JSON any way it likes; syntax errors come first
    try:
        load_exact_json(_EXPRESSION.sub("0", text))
    except InvalidJson as exc:
        return f"This is not valid JSON: {exc.message}"
    return None
