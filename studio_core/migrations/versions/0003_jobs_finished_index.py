"""Index jobs on (status, finished_at): the most recent finished jobs without a sort of all.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEX = "ix_jobs_status_finished_at"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.create_index(INDEX, ["status", "finished_at"])


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index(INDEX)
