"""Secrets at rest: secret-named values in trigger and step configs, sealed with Fernet.

Workflows are saved sealed (`create_workflow`/`update_workflow` take the vault) and
opened only where a secret is used: the webhook edge (trigger) and the worker (steps).

A sealed value is `SEALED_PREFIX + hint + ":" + fernet_token`, where the hint is the
last 4 characters shown on screen (`••••1234`, only for secrets of 12+ characters).
Keys come from ENCRYPTION_KEYS (MultiFernet: the first encrypts, all decrypt, so keys
rotate); without it a key is derived from SECRET_KEY, with a warning. That derived key
is always tried last, so setting ENCRYPTION_KEYS later loses nothing; `hookline secrets
rotate` (app/store/key_rotation.py) then moves every value onto the first key.
Sealing is idempotent: a value that is already sealed with a known key is kept as is.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import re
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.settings import Settings
from app.workflows.definition import WorkflowDefinition
from app.workflows.secret_names import is_secret_header

SECRET_KEYS = frozenset({"secret", "verify_token", "password", "token", "api_key", "webhook_url"})
# One-word lowercase header names that are credentials (they look like config field names).
SECRET_HEADER_NAMES = frozenset({"authorization", "apikey", "cookie", "passwd", "session"})
# Config field names are lowercase snake_case (`api_key_header`, `auth` are not secrets);
# any other name is a header name as typed (`X-Custom-Token`) and follows the header rule.
_CONFIG_NAME = re.compile(r"[a-z][a-z0-9_]*")


def is_secret_key(key: object) -> bool:
    """Whether a config key holds a secret: an exact secret field name, or a header name
    that `is_secret_header` calls a credential (contains token, key, auth, cookie...)."""
    if not isinstance(key, str):
        return False
    if key in SECRET_KEYS or key in SECRET_HEADER_NAMES:
        return True
    return _CONFIG_NAME.fullmatch(key) is None and is_secret_header(key)


SEALED_PREFIX = "hookline-sealed:v1:"
HINT_MIN_LENGTH = 12
log = logging.getLogger("hookline.secrets")


class SecretVault:
    """Seals and opens single values with a MultiFernet."""

    def __init__(self, keys: tuple[bytes, ...]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._current = Fernet(keys[0])

    def seal(self, plain: str) -> str:
        if self.is_sealed_here(plain):
            return plain
        hint = plain[-4:] if len(plain) >= HINT_MIN_LENGTH else ""
        token = self._fernet.encrypt(plain.encode()).decode()
        return f"{SEALED_PREFIX}{hint}:{token}"

    def open(self, value: str) -> str:
        """The plain value; unsealed (legacy) values pass through unchanged."""
        if not is_sealed(value):
            return value
        token = value.rsplit(":", 1)[1]
        return self._fernet.decrypt(token.encode()).decode()

    def is_sealed_here(self, value: str) -> bool:
        if not is_sealed(value):
            return False
        try:
            self.open(value)
        except InvalidToken:
            return False
        return True

    def is_current(self, value: str) -> bool:
        """Whether a sealed value is encrypted with the current (first) key."""
        try:
            self._current.decrypt(value.rsplit(":", 1)[1].encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, value: str) -> str:
        """The value re-encrypted with the current (first) key; InvalidToken if none opens it."""
        if self.is_current(value):
            return value
        hint = sealed_hint(value)
        return f"{SEALED_PREFIX}{hint}:{self._fernet.rotate(value.rsplit(':', 1)[1]).decode()}"


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX) and value.count(":") >= 3


def sealed_hint(value: str) -> str:
    """The last 4 characters kept beside a sealed value ('' for short secrets)."""
    return value[len(SEALED_PREFIX) :].rsplit(":", 1)[0]


def _walk(tree: Any, change: Any) -> Any:
    if isinstance(tree, dict):
        return {
            key: change(value)
            if is_secret_key(key) and isinstance(value, str) and value
            else _walk(value, change)
            for key, value in tree.items()
        }
    if isinstance(tree, list):
        return [_walk(item, change) for item in tree]
    return tree


def secret_values(tree: Any) -> list[str]:
    """Every secret-named string value of a (opened) config tree, nested steps included."""
    found: list[str] = []

    def keep(value: str) -> str:
        found.append(value)
        return value

    _walk(tree, keep)
    return found


def seal_secrets(tree: Any, vault: SecretVault) -> Any:
    """A copy of a config tree with every secret-named string value sealed."""
    return _walk(tree, vault.seal)


def open_secrets(tree: Any, vault: SecretVault) -> Any:
    """A copy of a config tree with every sealed value opened (for the edge and worker)."""
    return _walk(tree, vault.open)


def seal_definition(definition: WorkflowDefinition, vault: SecretVault) -> WorkflowDefinition:
    """The definition with its trigger's and steps' secrets sealed (idempotent)."""
    steps = [
        step.model_copy(update={"config": seal_secrets(step.config, vault)})
        for step in definition.steps
    ]
    trigger = seal_secrets(definition.trigger, vault)
    return definition.model_copy(update={"trigger": trigger, "steps": steps})


def open_definition(definition: WorkflowDefinition, vault: SecretVault) -> WorkflowDefinition:
    """The definition with every sealed value opened (to validate it before saving)."""
    steps = [
        step.model_copy(update={"config": open_secrets(step.config, vault)})
        for step in definition.steps
    ]
    trigger = open_secrets(definition.trigger, vault)
    return definition.model_copy(update={"trigger": trigger, "steps": steps})


def open_trigger(settings: Settings, trigger: dict[str, Any] | None) -> dict[str, Any]:
    """A workflow's trigger settings with its secrets opened, for the webhook edge."""
    opened: dict[str, Any] = open_secrets(trigger or {}, vault_for(settings))
    return opened


def open_step_config(settings: Settings, config: dict[str, Any] | None) -> dict[str, Any]:
    """A step's (or planned step's) config with its secrets opened, for the worker."""
    opened: dict[str, Any] = open_secrets(config or {}, vault_for(settings))
    return opened


def derived_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(f"encryption:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def vault_for(settings: Settings) -> SecretVault:
    """The vault for these settings (built once per distinct key list)."""
    derived = derived_key(settings.app.secret_key).decode()
    keys = settings.secrets.encryption_keys
    if keys:  # the derived key last: values sealed before ENCRYPTION_KEYS was set still open
        return _vault((*keys, derived) if derived not in keys else tuple(keys), derived=False)
    return _vault((derived,), derived=True)


@functools.lru_cache(maxsize=8)
def _vault(keys: tuple[str, ...], *, derived: bool) -> SecretVault:
    if derived:
        log.warning(
            "ENCRYPTION_KEYS is not set: stored secrets are encrypted with a key derived "
            "from SECRET_KEY. Set ENCRYPTION_KEYS (see README) so SECRET_KEY can change."
        )
    return SecretVault(tuple(key.encode() for key in keys))
