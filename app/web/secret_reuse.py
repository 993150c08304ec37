"""Saving a workflow keeps each unchanged secret's sealed value exactly as it was stored.

Sealing is randomised, so sealing the same secret again gives a new value, and the
editor's references to it (`s:<digest of the sealed value>`, app/web/secrets.py) would
stop resolving in every other open tab. Putting the stored sealed value back for a
secret whose plain value did not change keeps those references valid across versions.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken

from app.store.sealing import SecretVault, is_sealed, is_secret_key
from app.store.tables import Step, Workflow
from app.web.secrets import stored_secret_values
from app.workflows.definition import WorkflowDefinition


def _sealed_by_plain(trees: list[Any], vault: SecretVault) -> dict[str, str]:
    found: dict[str, str] = {}
    for sealed in stored_secret_values(trees):
        if not is_sealed(sealed):
            continue
        try:
            found.setdefault(vault.open(sealed), sealed)
        except InvalidToken:
            continue
    return found


def _swap(tree: Any, sealed: dict[str, str]) -> Any:
    if isinstance(tree, dict):
        return {
            key: sealed.get(value, value)
            if is_secret_key(key) and isinstance(value, str)
            else _swap(value, sealed)
            for key, value in tree.items()
        }
    if isinstance(tree, list):
        return [_swap(item, sealed) for item in tree]
    return tree


def reuse_sealed_secrets(
    definition: WorkflowDefinition, *, workflow: Workflow, steps: list[Step], vault: SecretVault
) -> WorkflowDefinition:
    """The definition to save, its unchanged secrets in their stored sealed form."""
    sealed = _sealed_by_plain([workflow.trigger, *(step.config for step in steps)], vault)
    if not sealed:
        return definition
    new_steps = [
        step.model_copy(update={"config": _swap(step.config, sealed)}) for step in definition.steps
    ]
    trigger = _swap(definition.trigger, sealed)
    return definition.model_copy(update={"steps": new_steps, "trigger": trigger})
