"""Configuration problems as an operator reads them: the variable, what is allowed, what was set.

Pydantic reports `Input should be …` against a field; an operator sets environment
variables. Each problem is turned into one line that names the variable (the first
`validation_alias` choice when pydantic reports the field's own name) and says what
it must be. Values of secret-looking variables are never echoed back.
"""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.settings.access import AuthSettings, SecretsSettings
from app.settings.alerts import AlertSettings, ScheduleSettings
from app.settings.core import AppSettings, BrokerSettings, DatabaseSettings
from app.settings.traffic import HistorySettings, InboundSettings, OutboundSettings

GROUPS: tuple[type[BaseModel], ...] = (
    AppSettings,
    DatabaseSettings,
    BrokerSettings,
    InboundSettings,
    OutboundSettings,
    AuthSettings,
    SecretsSettings,
    HistorySettings,
    AlertSettings,
    ScheduleSettings,
)
_SECRET_HINTS = ("SECRET", "PASSWORD", "KEY", "TOKEN", "DATABASE_URL", "BROKER_URL", "REDIS_URL")
_PLAIN_TYPES = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
}


def plain_problems(exc: ValidationError) -> list[str]:
    """One readable line per problem in `exc`, raised by a settings group (or the tree)."""
    model = next((group for group in GROUPS if group.__name__ == exc.title), None)
    return [_plain(error, model) for error in exc.errors(include_url=False)]


def _plain(error: ErrorDetails, model: type[BaseModel] | None) -> str:
    message = str(error["msg"])
    if error["type"] == "value_error":  # our own validators already name the variable
        return message.removeprefix("Value error, ")
    if not error["loc"]:
        return message
    name = variable_name(str(error["loc"][0]), model)
    allowed = _PLAIN_TYPES.get(error["type"]) or message.replace("Input should be", "must be")
    if any(hint in name for hint in _SECRET_HINTS):
        return f"{name} {allowed}."
    return f"{name} {allowed} (it is set to {error['input']!r})."


def variable_name(loc: str, model: type[BaseModel] | None) -> str:
    """The environment variable behind a field (`port` → `PORT`); `loc` when unknown."""
    field = model.model_fields.get(loc) if model is not None else None
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    if isinstance(alias, str):
        return alias
    return loc
