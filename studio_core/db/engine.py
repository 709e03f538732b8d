"""The engine factory with the studio's connection settings, and write transactions.

SQLite gets foreign keys, WAL and a busy timeout, and write transactions that take the lock
up front; MySQL/MariaDB (mysql-connector) gets utf8mb4 and bounded connect/read/write waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from studio_core.db.tables import users

SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a write waits for SQLite's single write lock


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
