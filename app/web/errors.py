"""Turning every failure into a clear answer: JSON for the API and hooks, a page for people.

No request ends in a bare 500: unexpected errors are logged with a reference and the
person gets a plain message; database outages answer 503 with Retry-After.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect, Template
from sqlalchemy.exc import SQLAlchemyError

from app.web.deps import SignInRequired

log = logging.getLogger("hookline.web")


class InvalidInput(HTTPException):
    """The request was understood but some fields are wrong; `problems` names them."""

    status_code = 400

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        summary = "; ".join(f"{field}: {problem}" for field, problem in problems.items())
        super().__init__(detail=f"Please fix these fields — {summary}")


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/hooks/", "/schema")) or "application/json" in (
        request.headers.get("accept", "")
    )


LITESTAR_CSRF_FAILURE = "CSRF token verification failed"
CSRF_EXPIRED = (
    "This form has expired or was sent from another page. Go back, reload the page and try again."
)


def _page(request: Request[Any, Any, Any], status: int, title: str, message: str) -> Response[Any]:
    return Template(
        template_name="error.html",
        context={"title": title, "message": message, "status": status},
        status_code=status,
    )


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, SignInRequired) and not _wants_json(request):
        return Redirect(path=f"/signin?next={request.url.path}")
    message = str(exc.detail)
    if exc.status_code == 403 and message == LITESTAR_CSRF_FAILURE:
        message = CSRF_EXPIRED
    if exc.status_code == 413 and message == "Request Entity Too Large":  # Litestar's own
        message = _too_large_message(request)
    if isinstance(exc, ValidationException):
        message = _missing_body_message(request, exc) or _validation_message(exc)
    if _wants_json(request):
        content: dict[str, Any] = {"error": message, "status": exc.status_code}
        if isinstance(exc, InvalidInput):
            content["fields"] = exc.problems
        return Response(content=content, status_code=exc.status_code, headers=exc.headers)
    return _page(request, exc.status_code, _title(exc.status_code), message)


def _too_large_message(request: Request[Any, Any, Any]) -> str:
    limit = request.app.request_max_body_size
    if not isinstance(limit, int) or limit <= 0:
        return "The request body is too large. Nothing was stored."
    return (
        f"The request body is too large: Hookline accepts at most {_size_text(limit)}. "
        "Nothing was stored."
    )


def _size_text(size: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


def _missing_body_message(request: Request[Any, Any, Any], exc: ValidationException) -> str | None:
    """Litestar reports an empty body as the body parameter's name in quotes ("'data'")."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    empty = any(
        isinstance(item, dict)
        and item.get("source") == "body"
        and item.get("message") == repr(item.get("key"))
        for item in extra
    )
    if not empty:
        return None
    what = "the workflow" if request.url.path.startswith("/api/v1/workflows") else "it"
    return f"The request body is empty; send {what} as JSON."


def _validation_message(exc: ValidationException) -> str:
    extra = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for item in extra[:5]:
        if isinstance(item, dict):
            where = str(item.get("key") or "").strip() or "request"
            parts.append(f"{where}: {str(item.get('message')).removeprefix('Value error, ')}")
    detail = "; ".join(parts)
    return f"The request was not valid — {detail}" if detail else "The request was not valid."


def _title(status: int) -> str:
    return {
        400: "Please check what you entered",
        401: "Please sign in",
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed here",
        409: "Not possible right now",
        413: "Too large",
        429: "Too many requests",
    }.get(status, "Something went wrong")


def handle_database_error(request: Request[Any, Any, Any], exc: SQLAlchemyError) -> Response[Any]:
    log.exception("database error", exc_info=exc)
    message = "Hookline cannot reach its database right now. Please try again in a moment."
    if _wants_json(request):
        return Response(
            content={"error": message, "status": 503},
            status_code=503,
            headers={"Retry-After": "30"},
        )
    return _page(request, 503, "Temporarily unavailable", message)


def handle_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    reference = secrets.token_hex(4)
    log.exception("unexpected error (reference %s)", reference, exc_info=exc)
    message = f"Something went wrong on our side (reference {reference}). Please try again."
    if _wants_json(request):
        return Response(content={"error": message, "status": 500}, status_code=500)
    return _page(request, 500, "Something went wrong", message)


def handle_number_too_large(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    """An id or page marker beyond what the database can store cannot name anything."""
    return handle_http_error(
        request, NotFoundException("There is nothing with this id (the number is too large).")
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HTTPException: handle_http_error,
    OverflowError: handle_number_too_large,
    SQLAlchemyError: handle_database_error,
    Exception: handle_unexpected_error,
}
