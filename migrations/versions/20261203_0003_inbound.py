"""inbound: event files, duplicate copies, retired hook tokens, hook rate-limit windows

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.store.tables  # noqa: F401 - custom column types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hook_rate_window",
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflow.id"],
            name=op.f("fk_hook_rate_window_workflow_id_workflow"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workflow_id", "minute", name=op.f("pk_hook_rate_window")),
    )
    op.create_table(
        "retired_hook_token",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("retired_at", app.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflow.id"],
            name=op.f("fk_retired_hook_token_workflow_id_workflow"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_retired_hook_token")),
    )
    with op.batch_alter_table("retired_hook_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retired_hook_token_workflow_id"), ["workflow_id"], unique=False
        )
    op.create_table(
        "event_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("field_name", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_file_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_file")),
    )
    with op.batch_alter_table("event_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_file_event_id"), ["event_id"], unique=False)
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_of_event_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("duplicate_of_event_id")
    with op.batch_alter_table("event_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_file_event_id"))
    op.drop_table("event_file")
    with op.batch_alter_table("retired_hook_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retired_hook_token_workflow_id"))
    op.drop_table("retired_hook_token")
    op.drop_table("hook_rate_window")
