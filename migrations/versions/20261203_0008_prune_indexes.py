"""prune indexes: the retention prune finds old events and finished runs by time

Without them each prune round read the whole event and run tables while holding
SQLite's write lock (seconds at a million rows), stalling every inbound request.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("ix_event_received_at", ["received_at"], unique=False)
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index("ix_run_status_created_at", ["status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index("ix_run_status_created_at")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_received_at")
