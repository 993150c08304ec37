"""The action contract: what an action type declares, receives and returns.

Built-in actions and future ones implement `ActionType`; the worker only ever sees this
interface (validate the config with `config_model`, then `execute` it with a context).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel

from app.integrations.outbound_client import OutboundClient
from app.integrations.ssrf_guard import OutboundPolicy
from app.workflows.definition import StepDefinition
from app.workflows.engine import FlowChange

RESPONSE_PREVIEW_BYTES = 64 * 1024

Outcome = Literal["succeeded", "failed", "filtered"]
ConfigT = TypeVar("ConfigT", bound=BaseModel)


@dataclass(frozen=True)
class ActionContext:
    """What an action may use while it runs: the data to template and the outbound client."""

    template_context: Mapping[str, Any]
    client: OutboundClient
    policy: OutboundPolicy
    on_missing: Literal["warn", "error"]


@dataclass(frozen=True)
class ActionResult:
    """How one step went: what was sent and answered (for display) and what later steps see.

    `retryable` says whether trying the same step again later could help (a 5xx, a 429,
    a timeout); `retry_after_seconds` carries the destination's Retry-After, if any.
    `flow` is set only by control-flow steps (paths, delay).
    """

    outcome: Outcome
    request: dict[str, Any] | None
    response: dict[str, Any] | None
    output: Any
    error: str | None
    warnings: tuple[str, ...]
    duration_ms: int
    retryable: bool = False
    retry_after_seconds: float | None = None
    flow: FlowChange | None = None


class ActionType(abc.ABC, Generic[ConfigT]):
    """One kind of step (e.g. "http_request"): its config model, help text and behaviour."""

    type_name: ClassVar[str]
    title: ClassVar[str]
    help: ClassVar[str]
    config_model: type[ConfigT]

    def parse_config(self, raw: Mapping[str, Any]) -> ConfigT:
        """Validate a stored or submitted config (raises pydantic.ValidationError)."""
        return self.config_model.model_validate(raw)

    @abc.abstractmethod
    def validate_templates(self, config: ConfigT) -> dict[str, str]:
        """Map each templated field with a problem to a plain-English description."""

    def nested_steps(self, config: ConfigT) -> list[tuple[str, StepDefinition]]:
        """Steps held inside this step's config (a path's steps), with their field names."""
        return []

    @abc.abstractmethod
    async def execute(self, config: ConfigT, ctx: ActionContext) -> ActionResult:
        """Run the step once; expected failures become a failed result, never an exception."""
