"""Every registered action type is complete, and unknown types are reported clearly."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from app.integrations.http_request import HttpRequestAction
from app.integrations.registry import UnknownActionType, all_actions, get_action, register


@pytest.mark.parametrize("action", all_actions(), ids=lambda action: action.type_name)
def test_every_action_has_config_model_title_and_help(action: object) -> None:
    assert issubclass(action.config_model, BaseModel)
    assert action.title.strip()
    assert len(action.help.split()) >= 20
    assert get_action(action.type_name) is action


def test_http_request_is_built_in() -> None:
    assert isinstance(get_action("http_request"), HttpRequestAction)


def test_unknown_action_type_names_the_known_ones() -> None:
    with pytest.raises(UnknownActionType) as unknown:
        get_action("send_fax")

    assert 'no action type called "send_fax"' in str(unknown.value)
    assert "http_request" in str(unknown.value)


def test_registering_a_second_action_under_a_taken_name_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(HttpRequestAction())


def test_step_library_types_are_all_registered() -> None:
    names = {action.type_name for action in all_actions()}

    assert names >= {
        "http_request",
        "slack_message",
        "discord_message",
        "email",
        "filter",
        "paths",
        "delay",
        "formatter",
    }
