"""reliability: per-workflow retries, auto-pause and alert state, schedule ticks, event data
deletion, and an index for time-range queries over runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 17:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.store.tables  # noqa: F401 - custom column types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workflow", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_max_tries", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("paused_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("failure_streak", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("unalerted_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("alert_sent_at", app.store.tables.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("next_tick_at", app.store.tables.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_workflow_next_tick_at", ["next_tick_at"], unique=False)
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_deleted_at", app.store.tables.UtcDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_workflow_id_created_at", ["workflow_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index("ix_run_workflow_id_created_at")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("data_deleted_at")
    with op.batch_alter_table("workflow", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_next_tick_at")
        batch_op.drop_column("next_tick_at")
        batch_op.drop_column("alert_sent_at")
        batch_op.drop_column("unalerted_failures")
        batch_op.drop_column("failure_streak")
        batch_op.drop_column("paused_reason")
        batch_op.drop_column("retry_max_tries")
