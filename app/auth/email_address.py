"""Checking an e-mail address typed by a person (sign-up, `hookline users create`).

email-validator (the library behind pydantic's EmailStr) checks the syntax properly:
exactly one @, a real-looking domain, no spaces, newlines or `<`. Deliverability (DNS)
is not checked: sign-up must not depend on the network.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 320


def email_problem(email: str) -> str | None:
    """Plain-English reason this is not a usable e-mail address, or None."""
    if not email:
        return "Enter your e-mail address, like name@example.com."
    if len(email) > MAX_EMAIL_LENGTH:
        return f"That e-mail address is too long ({MAX_EMAIL_LENGTH} characters at most)."
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"Enter an e-mail address like name@example.com. {exc}"
    return None
