"""Password hashing for local accounts (argon2id) and the rules a password must meet."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


def password_problem(password: str) -> str | None:
    """Plain-English reason a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters for your password."
    if len(password) > 1024:
        return "That password is too long (1024 characters at most)."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _no_password_hash() -> str:
    """Checked when an account has no password (or does not exist), so that answer takes
    as long as a wrong password and its timing does not tell which e-mails have accounts."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        matches = _hasher.verify(password_hash or _no_password_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None
