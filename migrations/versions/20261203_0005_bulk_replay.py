"""bulk replay: a workflow's failed runs of a time range, replayed one after another

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.store.tables  # noqa: F401 - custom column types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_replay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("range_from", app.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("range_to", app.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", app.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflow.id"],
            name=op.f("fk_bulk_replay_workflow_id_workflow"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_replay")),
    )
    with op.batch_alter_table("bulk_replay", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulk_replay_workflow_id"), ["workflow_id"], unique=False
        )
    op.create_table(
        "bulk_replay_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulk_replay_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("source_run_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bulk_replay_id"],
            ["bulk_replay.id"],
            name=op.f("fk_bulk_replay_item_bulk_replay_id_bulk_replay"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_bulk_replay_item_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_replay_item")),
        sa.UniqueConstraint(
            "bulk_replay_id", "position", name=op.f("uq_bulk_replay_item_bulk_replay_id_position")
        ),
    )
    with op.batch_alter_table("bulk_replay_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulk_replay_item_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bulk_replay_item_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("bulk_replay_item")
    op.drop_table("bulk_replay")
