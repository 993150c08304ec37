"""Secrets sent back masked (`••••1234`) in an update keep their stored value."""

from __future__ import annotations

from typing import Any

from app.store.sealing import is_secret_key
from app.store.tables import Step, Workflow
from app.workflows.definition import WorkflowDefinition

MASK = "••••"


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
