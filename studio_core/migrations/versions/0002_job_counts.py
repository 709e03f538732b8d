"""Per-owner job counts by status (job_counts), filled from the existing jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
# Frozen here: a migration must not change meaning when the code's JobStatus does.
STATUSES = ("queued", "processing", "finished", "failed", "cancelled")


def upgrade() -> None:
    counts = op.create_table(
        "job_counts",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("n", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("user_id", "status", name="pk_job_counts"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_job_counts_user_id_users"),
        **MYSQL,
    )
    conn = op.get_bind()
    jobs = sa.table(
        "jobs",
        sa.column("user_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("deleted_at", sa.DateTime),
    )
    users = sa.table("users", sa.column("id", sa.Integer))
    found = {
        (user_id, status): n
        for user_id, status, n in conn.execute(
            sa.select(jobs.c.user_id, jobs.c.status, sa.func.count())
            .where(jobs.c.deleted_at.is_(None))
            .group_by(jobs.c.user_id, jobs.c.status)
        )
    }
    # Every user gets a row per status (zeros too): later transitions then only UPDATE.
    owners = set(conn.execute(sa.select(users.c.id)).scalars()) | {u for u, _ in found}
    statuses = sorted(set(STATUSES) | {s for _, s in found})
    rows = [
        {"user_id": user_id, "status": status, "n": found.get((user_id, status), 0)}
        for user_id in sorted(owners)
        for status in statuses
    ]
    if rows:
        op.bulk_insert(counts, rows)


def downgrade() -> None:
    op.drop_table("job_counts")
