"""The worker's opened and validated step configs, kept by content.

Every step runs from the config stored in its run's plan. Opening it (decrypting its
secrets) and validating it against its action's model cost ~11 % of the embedded
worker's loop per step (bench/README.md, fifth pass) and give the same answer for the
same stored text and the same keys, so a worker keeps the last few hundred, keyed by the
config's JSON text. A config that cannot be written as JSON, or that fails to open or
validate, is never kept: it is worked out (and fails) afresh each time.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from app.integrations.base import ActionType
from app.integrations.registry import get_action
from app.settings import Settings
from app.store.sealing import open_step_config, secret_values

KEPT_CONFIGS = 512


@dataclass(frozen=True)
class OpenedStep:
    """A step ready to run: its action, validated config, opened config and secrets.

    Shared by every run of the same stored step: nothing may change it.
    """

    action: ActionType[Any]
    config: BaseModel
    opened: dict[str, Any]
    secrets: tuple[str, ...]


class StepConfigs:
    """Opens and validates step configs, keeping the most recently used by content."""

    def __init__(self, settings: Settings, size: int = KEPT_CONFIGS) -> None:
        self.settings = settings
        self.size = size
        self._kept: OrderedDict[tuple[str, str], OpenedStep] = OrderedDict()

    def open(self, step: dict[str, Any]) -> OpenedStep:
        """The step's action and config; raises UnknownActionType or ValidationError."""
        step_type, config = str(step.get("type")), step.get("config")
        try:
            key = (step_type, json.dumps(config, sort_keys=True, allow_nan=False))
        except (TypeError, ValueError):  # not plain JSON (e.g. a Decimal): work it out afresh
            return self._work_out(step_type, config)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        opened = self._work_out(step_type, config)
        self._kept[key] = opened
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return opened

    def _work_out(self, step_type: str, config: dict[str, Any] | None) -> OpenedStep:
        action = get_action(step_type)
        opened = open_step_config(self.settings, config)
        validated = action.config_model.model_validate(opened)
        return OpenedStep(action, validated, opened, tuple(secret_values(opened)))


def invalid_settings(exc: ValidationError) -> str:
    """The run's error for a stored config that no longer validates: its first problem."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    said = str(first.get("msg")).removeprefix("Value error, ")
    return f"This step's settings are invalid: {where + ': ' if where else ''}{said}"
