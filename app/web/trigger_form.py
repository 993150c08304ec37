"""The trigger part of the workflow editor: reading its inputs, and filling them back in.

Inputs are named `trigger-<group>-<field>` (`trigger-signature-preset`). Secrets (the
signing secret and Meta's verify token) are never sent back to the browser: the form
shows whether one is saved, and a blank input keeps the saved value. `trigger-kind`
chooses between the webhook URL and a schedule (`trigger-schedule-<field>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from app.inbound.presets_help import PRESET_HELP, ROTATION_HELP
from app.workflows.schedules import (
    WEEKDAYS,
    ScheduleConfig,
    local_time_label,
    next_fire_time,
    timezone_names,
)

TRIGGER_METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE")
SIGNATURE_PRESETS = {
    "none": "None (anyone with the URL)",
    "github": "GitHub",
    "stripe": "Stripe",
    "slack": "Slack",
    "shopify": "Shopify",
    "standard_webhooks": "Standard Webhooks / Svix",
    "twilio": "Twilio",
    "hmac": "Other (HMAC of the body)",
}
HANDSHAKE_PRESETS = {
    "none": "None",
    "slack": "Slack url_verification",
    "meta": "Meta (Facebook, Instagram, WhatsApp) hub.challenge",
    "echo": "Echo a query parameter (Dropbox, Microsoft Graph)",
}
TEXT_FIELDS = (
    "signature-preset",
    "signature-header",
    "signature-algorithm",
    "signature-encoding",
    "signature-prefix",
    "dedupe-header",
    "dedupe-body_path",
    "response-status",
    "response-content_type",
    "response-body",
    "handshake-preset",
    "handshake-echo_param",
    "kind",
    "schedule-every",
    "schedule-interval_minutes",
    "schedule-minute",
    "schedule-time",
    "schedule-weekday",
    "schedule-cron",
    "schedule-timezone",
)
TRIGGER_KINDS = {
    "webhook": "When its webhook URL receives a request",
    "schedule": "On a schedule",
}
SCHEDULE_FREQUENCIES = {
    "minutes": "Every few minutes",
    "hourly": "Every hour",
    "daily": "Every day",
    "weekly": "Every week",
    "cron": "Custom (cron expression)",
}

# The inputs each frequency uses (the time zone is read for every one).
SCHEDULE_INPUTS = {
    "minutes": ("interval_minutes",),
    "hourly": ("minute",),
    "daily": ("time",),
    "weekly": ("time", "weekday"),
    "cron": ("cron",),
}
NUMBER_HINTS = {"interval_minutes": "like 15", "minute": "from 0 to 59"}


@dataclass
class TriggerForm:
    """The trigger inputs as typed; secrets are only what was typed this time."""

    methods: list[str] = field(default_factory=lambda: ["POST"])
    values: dict[str, str] = field(default_factory=dict)
    new_secret: str = ""
    new_verify_token: str = ""
    has_secret: bool = False
    has_verify_token: bool = False
    allow_browser_senders: bool = False
    submitted: bool = True

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name) or default

    def upcoming_runs(self, *, now: datetime | None = None, count: int = 3) -> list[str]:
        """The next few run times of the schedule as typed, in its time zone; [] if invalid."""
        if self.value("kind") != "schedule":
            return []
        try:
            schedule = ScheduleConfig.model_validate(_schedule_values(self)[0])
        except (ValidationError, ValueError):
            return []
        labels, moment = [], now or datetime.now(UTC)
        for _ in range(count):
            moment = next_fire_time(schedule, after=moment)
            labels.append(local_time_label(moment, schedule.timezone))
        return labels


def read_trigger_form(form: Any) -> TriggerForm:
    """The trigger inputs of a submitted editor form (a multidict)."""
    methods = form.getall("trigger-methods", []) if hasattr(form, "getall") else []
    return TriggerForm(
        methods=[str(m).upper() for m in methods],
        values={name: str(form.get(f"trigger-{name}", "")) for name in TEXT_FIELDS},
        new_secret=str(form.get("trigger-signature-secret", "")),
        new_verify_token=str(form.get("trigger-handshake-verify_token", "")),
        has_secret=bool(form.get("trigger-has-secret")),
        has_verify_token=bool(form.get("trigger-has-verify_token")),
        allow_browser_senders="trigger-allow_browser_senders" in form,
        submitted=any(str(key).startswith("trigger-") for key in form),
    )


def _blank_to_none(text: str) -> str | None:
    return text if text.strip() else None


def trigger_from_form(
    form: TriggerForm, stored: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The trigger JSON to validate (blank secrets keep `stored`), and input problems.

    A form without any trigger input (a client that only edits steps) keeps `stored`.
    """
    stored = stored or {}
    if not form.submitted:
        return stored, {}
    status_text = form.value("response-status", "202").strip()
    problems = {}
    if not status_text.isdigit():
        problems["trigger.response.status"] = "Type a status code such as 200 or 202."
    old_signature = stored.get("signature") or {}
    old_handshake = stored.get("handshake") or {}
    schedule, schedule_problems = _schedule_values(form)
    trigger = {
        "kind": form.value("kind", "webhook"),
        "schedule": schedule if form.value("kind") == "schedule" else None,
        "methods": form.methods,
        "signature": {
            "preset": form.value("signature-preset", "none"),
            "secret": _blank_to_none(form.new_secret) or old_signature.get("secret"),
            "header": _blank_to_none(form.value("signature-header")),
            "algorithm": form.value("signature-algorithm", "sha256"),
            "encoding": form.value("signature-encoding", "hex"),
            "prefix": form.value("signature-prefix"),
        },
        "dedupe": {
            "header": _blank_to_none(form.value("dedupe-header")),
            "body_path": _blank_to_none(form.value("dedupe-body_path")),
        },
        "response": {
            "status": int(status_text) if status_text.isdigit() else 202,
            "content_type": form.value("response-content_type", "application/json"),
            "body": form.value("response-body") or None,
        },
        "handshake": {
            "preset": form.value("handshake-preset", "none"),
            "verify_token": _blank_to_none(form.new_verify_token)
            or old_handshake.get("verify_token"),
            "echo_param": _blank_to_none(form.value("handshake-echo_param")),
        },
        "allow_browser_senders": form.allow_browser_senders,
    }
    if form.value("kind") == "schedule":
        problems.update(schedule_problems)
    return trigger, problems


def _schedule_values(form: TriggerForm) -> tuple[dict[str, Any], dict[str, str]]:
    """The schedule JSON from the inputs the chosen frequency uses (blank ones left out),
    and their number problems. Inputs of another frequency are hidden, so never read."""
    every = form.value("schedule-every", "daily")
    schedule: dict[str, Any] = {"every": every}
    found: dict[str, str] = {}
    for name in (*SCHEDULE_INPUTS.get(every, ()), "timezone"):
        text = form.value(f"schedule-{name}").strip()
        hint = NUMBER_HINTS.get(name)
        if hint is None:
            if text:
                schedule[name] = text
        elif text.isdigit():
            schedule[name] = int(text)
        elif text:
            found[f"trigger.schedule.{name}"] = f"Type a whole number, {hint}."
    return schedule, found


def trigger_form_from_config(trigger: dict[str, Any] | None) -> TriggerForm:
    """The editor's inputs for a saved trigger; secrets are left out, only flagged."""
    trigger = trigger or {}
    signature = trigger.get("signature") or {}
    dedupe = trigger.get("dedupe") or {}
    response = trigger.get("response") or {}
    handshake = trigger.get("handshake") or {}
    schedule = trigger.get("schedule") or {}
    values = {
        "kind": trigger.get("kind"),
        **{f"schedule-{name}": value for name, value in schedule.items()},
        "signature-preset": signature.get("preset"),
        "signature-header": signature.get("header"),
        "signature-algorithm": signature.get("algorithm"),
        "signature-encoding": signature.get("encoding"),
        "signature-prefix": signature.get("prefix"),
        "dedupe-header": dedupe.get("header"),
        "dedupe-body_path": dedupe.get("body_path"),
        "response-status": response.get("status"),
        "response-content_type": response.get("content_type"),
        "response-body": response.get("body"),
        "handshake-preset": handshake.get("preset"),
        "handshake-echo_param": handshake.get("echo_param"),
    }
    return TriggerForm(
        methods=list(trigger.get("methods") or ["POST"]),
        values={name: str(value) for name, value in values.items() if value is not None},
        has_secret=bool(signature.get("secret")),
        has_verify_token=bool(handshake.get("verify_token")),
        allow_browser_senders=bool(trigger.get("allow_browser_senders")),
    )


def trigger_form_choices() -> dict[str, Any]:
    """What the trigger form template offers: methods, presets, their setup help."""
    return {
        "methods": TRIGGER_METHODS,
        "signature_presets": SIGNATURE_PRESETS,
        "handshake_presets": HANDSHAKE_PRESETS,
        "preset_help": PRESET_HELP,
        "rotation_help": ROTATION_HELP,
        "kinds": TRIGGER_KINDS,
        "frequencies": SCHEDULE_FREQUENCIES,
        "weekdays": WEEKDAYS,
        "timezones": timezone_names(),
    }
