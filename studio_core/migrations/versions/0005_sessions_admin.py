"""Accounts: a `sessions` table, and the seeded local user (id 1) becomes the admin `admin`.

The local user owned every job of an install without accounts, so that history becomes the
first admin's. Its password stays "!" (no valid hash: nobody can log in) until the backend's
first start sets one (studio_core.accounts.bootstrap).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MYSQL = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_sessions_user_id_users"
        ),
        **MYSQL,
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
    conn = op.get_bind()
    taken = conn.execute(sa.select(users.c.id).where(users.c.username == "admin")).first()
    if taken is None:
        op.execute(
            users.update()
            .where(users.c.id == 1, users.c.username == "local")
            .values(username="admin")
        )


def downgrade() -> None:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
    op.execute(
        users.update().where(users.c.id == 1, users.c.username == "admin").values(username="local")
    )
    # The table takes its indexes with it; dropping the user_id index first fails on MySQL,
    # whose foreign key to users needs it.
    op.drop_table("sessions")
