"""Secrets on the way back in: masked values (`••••1234`) keep their stored value.

The API restores a masked value from the step at the same position. The page editor
never sends a secret (not even sealed) to the browser: each saved secret is replaced by
a reference (`s:<digest>:<last 4>`) that only resolves against the same workflow's
stored steps, so reordering or duplicating cards carries the right secret with its card.
A secret typed but not yet saved (the editor re-shown after "add a step" or an error)
travels as a short-lived pending token (`p:<token>:<last 4>`), encrypted and bound to
the person editing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken

from app.settings import Settings
from app.store.sealing import (
    HINT_MIN_LENGTH,
    derived_key,
    is_sealed,
    is_secret_key,
    sealed_hint,
    vault_for,
)
from app.store.tables import Step, Workflow
from app.workflows.definition import WorkflowDefinition

MASK = "••••"
PENDING_TTL_SECONDS = 24 * 3600


def _restore(new: Any, old: Any) -> Any:
    if isinstance(new, dict):
        old_map = old if isinstance(old, dict) else {}
        restored = {}
        for key, value in new.items():
            if is_secret_key(key) and isinstance(value, str) and value.startswith(MASK):
                restored[key] = old_map.get(key)
            else:
                restored[key] = _restore(value, old_map.get(key))
        return restored
    if isinstance(new, list):
        old_list = old if isinstance(old, list) else []
        return [
            _restore(item, old_list[i] if i < len(old_list) else None) for i, item in enumerate(new)
        ]
    return new


def keep_unchanged_secrets(
    definition: WorkflowDefinition, workflow: Workflow, steps: list[Step]
) -> WorkflowDefinition:
    trigger = _restore(definition.trigger, workflow.trigger) if definition.trigger else None
    new_steps = [
        step.model_copy(
            update={"config": _restore(step.config, steps[i].config if i < len(steps) else None)}
        )
        for i, step in enumerate(definition.steps)
    ]
    return definition.model_copy(update={"trigger": trigger, "steps": new_steps})


class SecretBox(Protocol):
    """What the editor's form reader needs to keep secrets out of the page."""

    def resolve(self, ref: str) -> str | None:
        """The plain secret a reference stands for, or None when it resolves to nothing."""

    def pending(self, plain: str) -> str:
        """A reference carrying a typed, not yet saved secret."""


def _plain_hint(plain: str) -> str:
    return plain[-4:] if len(plain) >= HINT_MIN_LENGTH else ""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def secret_ref(stored: str) -> str:
    """The editor's reference to a stored (normally sealed) secret value."""
    hint = sealed_hint(stored) if is_sealed(stored) else _plain_hint(stored)
    return f"s:{_digest(stored)}:{hint}"


def ref_mask(ref: str) -> str:
    """What the page shows for a referenced secret: `••••` and its last 4 characters."""
    parts = ref.split(":", 2)
    return MASK + (parts[2] if len(parts) == 3 else "")


def is_masked(value: str) -> bool:
    return value.startswith(MASK)


def stored_secret_values(tree: Any) -> Iterator[str]:
    """Every secret-named string value in a config tree (nested paths steps included)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if is_secret_key(key) and isinstance(value, str) and value:
                yield value
            else:
                yield from stored_secret_values(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from stored_secret_values(item)


class NoSecrets:
    """Resolves nothing and refuses to carry typed secrets (for pure conversions)."""

    def resolve(self, ref: str) -> str | None:
        return None

    def pending(self, plain: str) -> str:
        raise RuntimeError("typed secrets need EditorSecrets to be carried")


class EditorSecrets:
    """Resolves references for one person's workflow; opens sealed values for validation."""

    def __init__(self, settings: Settings, *, user_id: int, stored: list[Any]) -> None:
        self._vault = vault_for(settings)
        self._pending = Fernet(derived_key(f"editor-pending:{settings.app.secret_key}"))
        self._user_id = user_id
        self._stored = {_digest(value): value for value in stored_secret_values(stored)}

    def resolve(self, ref: str) -> str | None:
        kind, _, rest = ref.partition(":")
        key = rest.split(":", 1)[0]
        if kind == "s" and key in self._stored:
            try:
                return self._vault.open(self._stored[key])
            except InvalidToken:
                return None
        if kind == "p":
            return self._open_pending(key)
        return None

    def pending(self, plain: str) -> str:
        payload = json.dumps({"u": self._user_id, "v": plain}).encode()
        return f"p:{self._pending.encrypt(payload).decode()}:{_plain_hint(plain)}"

    def _open_pending(self, token: str) -> str | None:
        try:
            payload = json.loads(self._pending.decrypt(token.encode(), ttl=PENDING_TTL_SECONDS))
        except (InvalidToken, ValueError):
            return None
        if not isinstance(payload, dict) or payload.get("u") != self._user_id:
            return None
        value = payload.get("v")
        return value if isinstance(value, str) else None


def editor_secrets(
    settings: Settings, *, user_id: int, workflow: Workflow | None, steps: list[Step]
) -> EditorSecrets:
    """The references a person's editor form may use: their workflow's stored secrets."""
    del workflow  # the trigger's secrets have their own blank-keeps-it inputs
    return EditorSecrets(settings, user_id=user_id, stored=[step.config for step in steps])
