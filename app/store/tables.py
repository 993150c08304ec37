"""The SQLModel tables: users, identities, login failures, API tokens, workflows, steps,
events (and their files), runs, step attempts, retired hook tokens, hook rate-limit windows
and bulk replays (with their items, in original order).

Every timestamp is tz-aware UTC. JSON columns become JSONB on PostgreSQL. The metadata
carries a naming convention so Alembic names constraints the same on every database.
Exact-digit data (event bodies, step outputs) is kept as bytes/text, never as floats.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonColumn = sa.JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite hands back naive ones, which we mark as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = False) -> Any:
    column: sa.Column[datetime] = sa.Column(UtcDateTime(), nullable=nullable)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


def _json(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(JsonColumn, nullable=nullable))


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=sa.Column(sa.String(320), nullable=False, unique=True))
    password_hash: str | None = Field(default=None, max_length=255)
    session_version: int = Field(default=0)
    created_at: datetime = _ts()


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(default="API token", max_length=100)
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    last4: str = Field(max_length=4)
    created_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class Identity(SQLModel, table=True):
    """A provider account (issuer/provider + subject) that signs in as a user."""

    __tablename__ = "identity"
    __table_args__ = (sa.UniqueConstraint("provider", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=50)
    subject: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=320)
    email_verified: bool = Field(default=False)
    created_at: datetime = _ts()
    last_login_at: datetime | None = _ts(nullable=True)


class LoginFailure(SQLModel, table=True):
    """One failed password sign-in; counted per account and per IP within a window."""

    __tablename__ = "login_failure"
    __table_args__ = (
        sa.Index("ix_login_failure_email_at", "email", "at"),
        sa.Index("ix_login_failure_ip_at", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320)
    ip: str = Field(max_length=64)
    at: datetime = _ts()


class RevokedSession(SQLModel, table=True):
    """A signed-out session cookie's id: refused until the cookie would have expired anyway."""

    __tablename__ = "revoked_session"

    id: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False, index=True))


class Workflow(SQLModel, table=True):
    __tablename__ = "workflow"
    __table_args__ = (sa.Index("ix_workflow_next_tick_at", "next_tick_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    enabled: bool = Field(default=True)
    hook_token: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    trigger: dict[str, Any] | None = _json()
    version: int = Field(default=1)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # Tries per step before a run fails; None means the operator's RETRY_MAX_TRIES.
    retry_max_tries: int | None = Field(default=None)
    # Why the workflow was switched off by Hookline itself (auto-pause), shown to the owner.
    paused_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    # Failed runs in a row (reset by a success); drives auto-pause.
    failure_streak: int = Field(default=0)
    # Failed runs not yet reported in an alert e-mail, and when the last one went out.
    unalerted_failures: int = Field(default=0)
    alert_sent_at: datetime | None = _ts(nullable=True)
    # Schedule trigger: when the clock should start the next run (None = not scheduled).
    next_tick_at: datetime | None = _ts(nullable=True)


class Step(SQLModel, table=True):
    __tablename__ = "step"
    __table_args__ = (sa.Index("ix_step_workflow_id_position", "workflow_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: int = Field(foreign_key="workflow.id", ondelete="CASCADE")
    position: int
    type: str = Field(max_length=50)
    name: str | None = Field(default=None, max_length=200)
    enabled: bool = Field(default=True)
    config: dict[str, Any] = _json(nullable=False)


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        sa.UniqueConstraint("workflow_id", "dedupe_key"),
        sa.Index("ix_event_workflow_id_id", "workflow_id", "id"),
        # Held-event counts on the dashboard and workflow page stay flat as history grows.
        sa.Index("ix_event_workflow_id_outcome", "workflow_id", "outcome"),
        # The retention prune finds old events by time without reading the whole table.
        sa.Index("ix_event_received_at", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: int = Field(foreign_key="workflow.id", ondelete="CASCADE")
    received_at: datetime = _ts()
    method: str = Field(max_length=10)
    path: str = Field(max_length=2000)
    query_string: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    headers: list[list[str]] = _json(nullable=False)
    content_type: str | None = Field(default=None, max_length=255)
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    body_size: int = Field(default=0)
    body_kind: str = Field(default="empty", max_length=20)
    parsed_json: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    dedupe_key: str | None = Field(default=None, max_length=200)
    outcome: str = Field(default="accepted", max_length=20)
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    warnings: list[str] | None = _json()
    # A repeated delivery is kept as its own row (outcome "duplicate", no dedupe key) that
    # points at the first copy; a plain column, not a foreign key, because it only labels.
    duplicate_of_event_id: int | None = Field(default=None)
    # Set when the owner deleted the event's data (body, headers, query, files emptied).
    data_deleted_at: datetime | None = _ts(nullable=True)


class EventFile(SQLModel, table=True):
    """One uploaded file of a multipart event, kept with the facts shown to the user."""

    __tablename__ = "event_file"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    field_name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    filename: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    content_type: str = Field(max_length=255)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class RetiredHookToken(SQLModel, table=True):
    """A hook URL token replaced by "rotate URL": it answers 410 Gone instead of 404."""

    __tablename__ = "retired_hook_token"

    token: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    workflow_id: int = Field(foreign_key="workflow.id", index=True, ondelete="CASCADE")
    retired_at: datetime = _ts()


class HookRateWindow(SQLModel, table=True):
    """Requests one hook URL received in one wall-clock minute (fixed-window rate limit)."""

    __tablename__ = "hook_rate_window"

    workflow_id: int = Field(foreign_key="workflow.id", primary_key=True, ondelete="CASCADE")
    minute: int = Field(primary_key=True, sa_type=sa.BigInteger)
    requests: int = Field(default=0)


class Run(SQLModel, table=True):
    __tablename__ = "run"
    __table_args__ = (
        sa.Index("ix_run_workflow_id_id", "workflow_id", "id"),
        sa.Index("ix_run_status_lease_until", "status", "lease_until"),
        sa.Index("ix_run_workflow_id_created_at", "workflow_id", "created_at"),
        # The retention prune finds old finished runs by time, skipping unfinished ones.
        sa.Index("ix_run_status_created_at", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: int = Field(foreign_key="workflow.id", ondelete="CASCADE")
    event_id: int | None = Field(
        default=None, foreign_key="event.id", index=True, ondelete="CASCADE"
    )
    status: str = Field(default="queued", max_length=20)
    plan: list[dict[str, Any]] = _json(nullable=False)
    next_step: int = Field(default=0)
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    lease_until: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    finished_at: datetime | None = _ts(nullable=True)


class StepAttempt(SQLModel, table=True):
    __tablename__ = "step_attempt"
    __table_args__ = (sa.UniqueConstraint("run_id", "step_index", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", ondelete="CASCADE")
    step_index: int
    attempt: int = Field(default=1)
    step_type: str = Field(max_length=50)
    status: str = Field(default="running", max_length=20)
    started_at: datetime = _ts()
    finished_at: datetime | None = _ts(nullable=True)
    duration_ms: int | None = None
    request: dict[str, Any] | None = _json()
    response: dict[str, Any] | None = _json()
    output_json: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    warnings: list[str] | None = _json()


class BulkReplay(SQLModel, table=True):
    """A request to replay a workflow's failed runs of a time range, one after another."""

    __tablename__ = "bulk_replay"

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: int = Field(foreign_key="workflow.id", index=True, ondelete="CASCADE")
    range_from: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    range_to: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    total: int = Field(default=0)
    created_at: datetime = _ts()
    finished_at: datetime | None = _ts(nullable=True)


class BulkReplayItem(SQLModel, table=True):
    """One event of a bulk replay, in original order: waiting, running, done or skipped."""

    __tablename__ = "bulk_replay_item"
    __table_args__ = (sa.UniqueConstraint("bulk_replay_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    bulk_replay_id: int = Field(foreign_key="bulk_replay.id", ondelete="CASCADE")
    position: int
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    source_run_id: int
    # The replay's run once started; a plain column (runs are pruned on their own schedule).
    run_id: int | None = Field(default=None, index=True)
    status: str = Field(default="waiting", max_length=20)
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


RUN_STATUSES = ("queued", "running", "succeeded", "failed", "filtered")
TERMINAL_RUN_STATUSES = frozenset({"succeeded", "failed", "filtered"})
