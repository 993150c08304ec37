"""The problems a user template can have, each with a message written for non-developers."""

from __future__ import annotations

from decimal import InvalidOperation

from jinja2.exceptions import SecurityError


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


def template_line(exc: BaseException) -> int | None:
    """The template line of the innermost frame jinja mapped back to the template."""
    line, frame = None, exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == "<template>":
            line = frame.tb_lineno
        frame = frame.tb_next
    return line


def explain_failure(exc: Exception) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, InvalidOperation):
        return "that calculation is not possible with these numbers"
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}"
    return str(exc) or type(exc).__name__
