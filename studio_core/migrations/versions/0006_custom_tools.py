"""Imported tools: a `custom_tools` table (an admin's workflow + manifest, draft or published).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
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
        "custom_tools",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("manifest", sa.JSON, nullable=False),
        sa.Column("workflow", sa.JSON, nullable=False),
        sa.Column("problems", sa.JSON, nullable=False),
        sa.Column("checked_against", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_custom_tools"),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            ondelete="SET NULL",
            name="fk_custom_tools_created_by_users",
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'disabled')", name="ck_custom_tools_status"
        ),
        **MYSQL,
    )
    op.create_index("ix_custom_tools_status", "custom_tools", ["status"])
    op.create_index("ix_custom_tools_created_by", "custom_tools", ["created_by"])


def downgrade() -> None:
    # The table takes its indexes with it (MySQL's foreign key needs created_by's index).
    op.drop_table("custom_tools")
