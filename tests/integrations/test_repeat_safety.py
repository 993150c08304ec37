"""Which steps are sent again after a crash left their outcome unknown."""

from __future__ import annotations

import pytest

from app.integrations.repeat_safety import is_safe_to_repeat


@pytest.mark.parametrize(
    ("step", "safe"),
    [
        ({"type": "http_request", "config": {"method": "POST"}}, False),
        ({"type": "http_request", "config": {}}, False),
        ({"type": "http_request", "config": {"method": "GET"}}, True),
        ({"type": "http_request", "config": {"method": "put"}}, True),
        ({"type": "http_request", "config": {"method": "DELETE"}}, True),
        (
            {
                "type": "http_request",
                "config": {"method": "POST", "headers": {"Idempotency-Key": "x"}},
            },
            True,
        ),
        ({"type": "http_request", "config": {"method": "POST", "repeat_safe": True}}, True),
        ({"type": "slack_message", "config": {}}, False),
        ({"type": "email", "config": {}}, False),
        ({"type": "filter", "config": {}}, True),
        ({"type": "formatter", "config": {}}, True),
    ],
)
def test_is_safe_to_repeat_follows_method_key_and_user_choice(step: dict, safe: bool) -> None:
    assert is_safe_to_repeat(step) is safe
