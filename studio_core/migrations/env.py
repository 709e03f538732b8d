"""Alembic environment: runs on the connection handed in by `studio_core.db.migrate.upgrade()`.

Used from the command line too (`alembic -c studio_core/alembic.ini upgrade head`), where
the URL comes from the studio's settings (DATABASE_URL).
"""

from __future__ import annotations

from alembic import context

from studio_core.db.engine import make_engine
from studio_core.db.tables import metadata


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the given connection, or one made from DATABASE_URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from studio_core.config import load_settings

    engine = make_engine(load_settings().database_url)
    try:
        with engine.begin() as conn:
            _configure_and_run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
