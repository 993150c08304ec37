"""Operator tasks on accounts, run outside the web process (the `hookline users` command)."""

from __future__ import annotations

from app.auth.email_address import email_problem
from app.auth.passwords import hash_password, password_problem
from app.settings import Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.users import create_user, find_user_by_email, issue_api_token


async def create_user_with_token(
    settings: Settings, *, email: str, password: str | None, with_token: bool
) -> str | None:
    """Create the user (or reuse it for a token); returns the plain API token if asked."""
    if problem := email_problem(email):
        raise ValueError(problem)
    if password is not None and (problem := password_problem(password)):
        raise ValueError(problem)
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            user = await find_user_by_email(session, email=email)
            if user is not None and not with_token:
                raise ValueError(f"A user with the e-mail {email} already exists.")
            if user is None:
                hashed = hash_password(password) if password else None
                user = await create_user(session, email=email, password_hash=hashed)
            if not with_token:
                return None
            assert user.id is not None
            _token, plain = await issue_api_token(session, user_id=user.id, name="CLI token")
            return plain
    finally:
        await engine.dispose()
