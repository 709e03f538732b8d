"""The studio's tables (SQLAlchemy Core), one metadata for the app and Alembic's autogenerate."""

from __future__ import annotations

import sqlalchemy as sa

from studio_core.db.utc import UTCDateTime, utcnow

LOCAL_USER_ID = (
    1  # the seeded user, the first admin `admin` (migration 0005); jobs always have an owner
)
ADMIN_USERNAME = "admin"
MYSQL_TABLE_ARGS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.CheckConstraint("role IN ('admin', 'user')", name="role"),
    **MYSQL_TABLE_ARGS,
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
    **MYSQL_TABLE_ARGS,
)

# Server-side login sessions: `id` is the sha256 of the cookie's random value, so a leaked
# table does not hand out sessions; rows of a deleted user go with it.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("last_seen_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    **MYSQL_TABLE_ARGS,
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("tool", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("prompt", sa.Text, nullable=False, default=""),
    sa.Column("negative_prompt", sa.Text),
    sa.Column("params", sa.JSON, nullable=False, default=dict),
    sa.Column("seed", sa.BigInteger),
    sa.Column("model", sa.String(255)),
    sa.Column("aspect_ratio", sa.String(16)),
    sa.Column("batch_size", sa.Integer, nullable=False, default=1),
    sa.Column("idempotency_key", sa.String(128)),
    sa.Column("attempt", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, default=3),
    # Deliveries that were not the job's fault (a graceful stop's hand-back): `attempt` is the
    # fencing token and always grows; poison counts `attempt - refunded_attempts`.
    sa.Column("refunded_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("worker_id", sa.String(128)),
    sa.Column("prompt_id", sa.String(64)),
    sa.Column("error", sa.Text),
    sa.Column("progress", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("favorite", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("started_at", UTCDateTime),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("deleted_at", UTCDateTime),
    sa.UniqueConstraint("user_id", "idempotency_key"),
    # The gallery lists one user's jobs newest first; this index serves it (and the FK).
    sa.Index(None, "user_id", "created_at"),
    # /metrics' job durations read the most recent finished jobs (migration 0003).
    sa.Index("ix_jobs_status_finished_at", "status", "finished_at"),
    **MYSQL_TABLE_ARGS,
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("path", sa.String(512), nullable=False),
    sa.Column("mime", sa.String(32), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("used_by_job", sa.String(36), sa.ForeignKey("jobs.id", ondelete="SET NULL")),
    **MYSQL_TABLE_ARGS,
)

job_inputs = sa.Table(
    "job_inputs",
    metadata,
    sa.Column(
        "job_id", sa.String(36), sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("slot", sa.String(64), primary_key=True),
    sa.Column(
        "upload_id", sa.String(32), sa.ForeignKey("uploads.id", ondelete="SET NULL"), index=True
    ),
    sa.Column("path", sa.String(512), nullable=False),
    **MYSQL_TABLE_ARGS,
)

job_outputs = sa.Table(
    "job_outputs",
    metadata,
    sa.Column(
        "job_id", sa.String(36), sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("filename", sa.String(128), nullable=False),
    sa.Column("thumb_filename", sa.String(128), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    **MYSQL_TABLE_ARGS,
)

job_events = sa.Table(
    "job_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "job_id",
        sa.String(36),
        sa.ForeignKey("jobs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    **MYSQL_TABLE_ARGS,
)

# Non-deleted jobs per (owner, status), moved in the same transaction as every transition
# (studio_core.jobs.counts), so /api/metrics reads a handful of rows, not the jobs table.
job_counts = sa.Table(
    "job_counts",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("status", sa.String(16), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False, default=0, server_default="0"),
    **MYSQL_TABLE_ARGS,
)

# Tools an admin imported from a ComfyUI workflow (studio_core.custom_tools): the row's id is
# the tool id; only `published` rows reach the catalog. `revision` grows on every change, so
# the processes' live catalogs notice an edit by comparing (id, revision) pairs.
custom_tools = sa.Table(
    "custom_tools",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("manifest", sa.JSON, nullable=False),
    sa.Column("workflow", sa.JSON, nullable=False),
    # The last check's findings and what it checked against ("live" | "bundled").
    sa.Column("problems", sa.JSON, nullable=False),
    sa.Column("checked_against", sa.String(16), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False, default=1, server_default="1"),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True),
    sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("updated_at", UTCDateTime, nullable=False, default=utcnow),
    sa.CheckConstraint("status IN ('draft', 'published', 'disabled')", name="status"),
    **MYSQL_TABLE_ARGS,
)
