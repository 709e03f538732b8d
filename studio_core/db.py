"""SQL tables (SQLAlchemy Core), the engine factory and programmatic Alembic upgrades.

One URL works for SQLite (default, a file under storage/) and MySQL/MariaDB
(`mysql+mysqlconnector://`). Timestamps are stored as naive UTC and read back tz-aware.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LOCAL_USER_ID = 1  # the seeded default user; jobs always have an owner
SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a write waits for SQLite's single write lock
MYSQL_TABLE_ARGS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


def utcnow() -> datetime:
    """The current time, tz-aware UTC (never naive)."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.TypeDecorator):
    """Stores UTC without a zone (portable), returns tz-aware UTC; rejects naive input."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))  # keep microseconds
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use studio_core.db.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


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


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite's legacy implicit BEGIN, control transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the single writer
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection):
        # A write transaction takes the lock up front: a deferred one that read first can
        # fail with SQLITE_BUSY instead of waiting when another process commits meanwhile.
        mode = "IMMEDIATE" if conn.get_execution_options().get("studio_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _install_mysqlconnector_timeouts(engine: Engine) -> None:
    from mysql.connector import errors as driver

    timeouts = (driver.ConnectionTimeoutError, driver.ReadTimeoutError, driver.WriteTimeoutError)

    @event.listens_for(engine, "handle_error")
    def on_error(ctx):
        cause = ctx.original_exception
        if ctx.is_pre_ping:
            # ping() reports a timeout as "not available", which would make the pool
            # reconnect to the same hung server and wait as long again: fail the checkout now.
            if isinstance(cause.__cause__, timeouts):
                ctx.is_disconnect = False
            return None
        if "Connection not available" in str(cause):
            # cursor() pings first and reports a timed-out ping so, without the period that
            # SQLAlchemy's is_disconnect looks for: drop the connection rather than wait as
            # long again for the ROLLBACK on it.
            ctx.is_disconnect = True
            return None
        if not isinstance(cause, timeouts):
            return None
        # The driver closed the connection. Its timeouts derive from its base Error, which
        # SQLAlchemy wraps as a bare DBAPIError; callers (the 503 handlers, the worker's
        # outage handling) expect the OperationalError of a database that does not answer.
        ctx.is_disconnect = True
        return sa.exc.OperationalError(
            ctx.statement, ctx.parameters, cause, connection_invalidated=True
        )


def make_engine(url: str, timeout_s: int | None = None, **kwargs: Any) -> Engine:
    """Create an engine for SQLite or MySQL/MariaDB with the studio's connection settings.

    `timeout_s` (DB_TIMEOUT_S) bounds MySQL's connect, each read and write, and the wait for
    a pooled connection, so a hung server fails requests instead of hanging them. None keeps
    the driver's unbounded waits (migrations, whose DDL may legitimately take minutes).
    """
    parsed = sa.engine.make_url(url)
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        # No pool_pre_ping: it costs a `SELECT 1` per checkout and guards against a server
        # dropping idle connections, which a local file cannot do.
        options["connect_args"] = {
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        }
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    elif parsed.get_backend_name() in ("mysql", "mariadb"):
        options.update(
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            pool_timeout=timeout_s or 10,
            pool_recycle=1800,
        )
        # An explicit collation: connector defaults (utf8mb4_0900_ai_ci) do not exist on MariaDB.
        if parsed.get_driver_name() == "mysqlconnector":
            options["connect_args"] = {"charset": "utf8mb4", "collation": "utf8mb4_unicode_ci"}
            if timeout_s:
                options["connect_args"].update(
                    connection_timeout=timeout_s, read_timeout=timeout_s, write_timeout=timeout_s
                )
        else:
            options["connect_args"] = {"charset": "utf8mb4"}
    options.update(kwargs)
    engine = sa.create_engine(parsed, **options)
    if engine.dialect.name == "sqlite":
        _install_sqlite_pragmas(engine)
    elif engine.dialect.driver == "mysqlconnector" and timeout_s:
        _install_mysqlconnector_timeouts(engine)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One read-write transaction (BEGIN IMMEDIATE on SQLite), committed on success."""
    with engine.connect() as conn:
        conn.execution_options(studio_write=True)
        with conn.begin():
            yield conn


def check_writable(engine: Engine, lock_wait_s: float = 2.0) -> None:
    """Open a write transaction, touch no row, roll back; raise the driver's error if a write
    could not run now (locked, read-only, hung or gone).

    On SQLite the write lock (BEGIN IMMEDIATE) is waited for lock_wait_s only, not the busy
    timeout of real writes; on MySQL an UPDATE matching no row still takes its locks, and the
    engine's driver timeouts bound the wait.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # On the DBAPI connection: through SQLAlchemy the PRAGMA would autobegin.
            conn.connection.driver_connection.execute(
                f"PRAGMA busy_timeout={int(lock_wait_s * 1000)}"
            )
        try:
            conn.execution_options(studio_write=True)
            with conn.begin() as transaction:
                conn.execute(
                    sa.update(users).where(users.c.id == 0).values(disabled=users.c.disabled)
                )
                transaction.rollback()
        finally:
            if sqlite:
                conn.connection.driver_connection.execute(
                    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"
                )


def alembic_config(connection: Connection | None = None):
    """An Alembic Config pointing at studio_core/migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision` (default head)."""
    from alembic import command

    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()
    logger.info("migrations applied db=%s revision=%s", engine.url.render_as_string(), revision)


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest migration revision shipped with the code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    """True when the database has every migration applied (run `upgrade` otherwise)."""
    return current_revision(engine) == head_revision()
