"""Checks a trigger must pass before it is saved, beyond the shape its models check.

Kept apart from the models on purpose: the webhook edge re-validates the stored trigger
on every request, so a rule added here refuses a bad save without breaking a URL that
already works (an existing workflow with no secret answers 401 with the reason instead).
"""

from __future__ import annotations

from app.inbound.signatures import PRESET_LABELS
from app.inbound.trigger_config import TriggerConfig

AUTH_TOKEN_SENDERS = {"twilio": "Auth Token"}


def save_problems(trigger: TriggerConfig) -> dict[str, str]:
    """Plain-English problems keyed by field path (`signature.secret`), or {}."""
    signature = trigger.signature
    if signature.preset != "none" and not signature.secrets:
        label = PRESET_LABELS[signature.preset]
        what = AUTH_TOKEN_SENDERS.get(signature.preset, "signing secret")
        return {
            "signature.secret": f"The {label} signature check needs the {what} from the "
            "sender's webhook settings. Paste it here, or choose 'No signature'."
        }
    return {}
