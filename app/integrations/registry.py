"""The registry of action types: built-ins register here exactly like future plugins."""

from __future__ import annotations

from typing import Any

from app.integrations.base import ActionType
from app.integrations.delay import DelayAction
from app.integrations.discord_message import DiscordMessageAction
from app.integrations.email import EmailAction
from app.integrations.filter import FilterAction
from app.integrations.formatter import FormatterAction
from app.integrations.http_request import HttpRequestAction
from app.integrations.paths import PathsAction
from app.integrations.slack_message import SlackMessageAction

_ACTIONS: dict[str, ActionType[Any]] = {}


class UnknownActionType(KeyError):
    """No action type is registered under this name."""

    def __init__(self, type_name: str) -> None:
        known = ", ".join(sorted(_ACTIONS)) or "none"
        self.message = f'There is no action type called "{type_name}" (known types: {known}).'
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def register(action: ActionType[Any]) -> None:
    """Make `action` available by its `type_name`; registering a name twice is a mistake."""
    existing = _ACTIONS.get(action.type_name)
    if existing is not None and existing is not action:
        raise ValueError(f'An action type called "{action.type_name}" is already registered.')
    _ACTIONS[action.type_name] = action


def get_action(type_name: str) -> ActionType[Any]:
    """The action type registered as `type_name` (raises UnknownActionType)."""
    try:
        return _ACTIONS[type_name]
    except KeyError:
        raise UnknownActionType(type_name) from None


def all_actions() -> list[ActionType[Any]]:
    """Every registered action type, in registration order."""
    return list(_ACTIONS.values())


BUILT_IN_ACTIONS: tuple[ActionType[Any], ...] = (
    HttpRequestAction(),
    SlackMessageAction(),
    DiscordMessageAction(),
    EmailAction(),
    FilterAction(),
    PathsAction(),
    DelayAction(),
    FormatterAction(),
)

for _built_in in BUILT_IN_ACTIONS:
    register(_built_in)
