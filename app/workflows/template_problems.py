"""The problems a user template can have, each with a message written for non-developers."""

from __future__ import annotations


class TemplateProblem(ValueError):
    """A template that cannot be rendered; `.message` is written for non-developers."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateSyntaxProblem(TemplateProblem):
    """The template text itself is malformed (e.g. an unclosed `{{`)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class MissingValueProblem(TemplateProblem):
    """The template asks for a value the data does not have (with `on_missing="error"`)."""

    def __init__(self, message: str, path: str, available: list[str]) -> None:
        super().__init__(message)
        self.path = path
        self.available = available


class TemplateTooLarge(TemplateProblem):
    """The template or its output is over the size cap."""
