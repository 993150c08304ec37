"""The "Delay" action: wait for a while, or until a date and time, before the next step.

The worker is never blocked: this step only works out the wake time and records it;
the engine marks the next step "not before" that time. Output (`steps[i].delay`):
`until` (ISO 8601, UTC), `waited` (false when the time had already passed) and `summary`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.integrations.base import ActionContext, ActionResult, ActionType
from app.integrations.step_results import failed, finished
from app.workflows.coercion import NotConvertible, as_datetime
from app.workflows.engine import FlowChange
from app.workflows.formatting import zone_named
from app.workflows.moments import utc_moment
from app.workflows.templating import TemplateProblem, check_template, render_value

MAX_DELAY = timedelta(days=31)
Unit = Literal["seconds", "minutes", "hours", "days", "weeks"]

HELP = """\
Pauses the run before the next step, either for a set time ("wait 2 hours") or until a \
date and time, which can come from the data ({{ trigger.body.appointment_at }}). Hookline \
keeps the run waiting without tying anything up, and continues on its own when the time \
comes, even if Hookline restarted in between.

Delays can last up to 31 days. A date without a time zone is read in the time zone you \
choose here. If the date has already passed, the run continues straight away."""


class DelayConfig(BaseModel):
    """What the user fills in for a delay step."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["for", "until"] = Field(
        default="for",
        title="Wait",
        description="'for' a length of time, or 'until' a date and time.",
    )
    amount: float | None = Field(default=None, gt=0, title="How long")
    unit: Unit = Field(default="minutes", title="Unit")
    until: str | None = Field(
        default=None,
        max_length=2000,
        title="Until",
        description="A date and time such as 2025-01-31 09:00, or a field from the data.",
    )
    timezone: str = Field(
        default="UTC",
        title="Time zone",
        description="Used for dates that do not say their time zone, e.g. Europe/Paris.",
    )

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, name: str) -> str:
        zone_named(name)
        return name

    @model_validator(mode="after")
    def _has_what_the_mode_needs(self) -> DelayConfig:
        if self.mode == "for":
            if self.amount is None:
                raise ValueError("Say how long to wait.")
            if timedelta(**{self.unit: self.amount}) > MAX_DELAY:
                raise ValueError("A delay can last at most 31 days.")
        elif not (self.until or "").strip():
            raise ValueError("Say until when to wait.")
        return self


class DelayAction(ActionType[DelayConfig]):
    """Built-in action: wait before the next step."""

    type_name = "delay"
    title = "Delay"
    help = HELP
    config_model = DelayConfig

    def validate_templates(self, config: DelayConfig) -> dict[str, str]:
        problem = check_template(config.until) if config.until else None
        return {"until": problem} if problem else {}

    async def execute(self, config: DelayConfig, ctx: ActionContext) -> ActionResult:
        started = time.monotonic()
        now = datetime.now(UTC)
        if config.mode == "for":
            assert config.amount is not None
            return _waiting(now + timedelta(**{config.unit: config.amount}), now, started, ())
        try:
            rendered = render_value(config.until or "", ctx.template_context, on_missing="error")
            wake = as_datetime(rendered.value, default_zone=zone_named(config.timezone), now=now)
        except (TemplateProblem, NotConvertible) as exc:
            return failed(f"Until: {exc.message}", started)
        if wake - now > MAX_DELAY:
            return failed(f"Until: {wake.isoformat()} is more than 31 days away.", started)
        return _waiting(wake.astimezone(UTC), now, started, rendered.warnings)


def _waiting(
    wake: datetime, now: datetime, started: float, warnings: tuple[str, ...]
) -> ActionResult:
    waits = wake > now
    summary = f"Waiting until {utc_moment(wake)} UTC" if waits else "No wait needed"
    output = {"delay": {"until": wake.isoformat(), "waited": waits, "summary": summary}}
    flow = FlowChange(wake_at=wake) if waits else None
    return finished("succeeded", output, started, warnings, flow)
