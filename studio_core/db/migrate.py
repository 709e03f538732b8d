"""Programmatic Alembic: upgrade a database and compare its revision with the code's head.

The migration scripts live in studio_core/migrations (frozen history, run in batch mode).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from studio_core.db.engine import make_engine

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


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
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.begin() as conn:
            before = MigrationContext.configure(conn).get_current_revision()
            command.upgrade(alembic_config(conn), revision)
            after = MigrationContext.configure(conn).get_current_revision()
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()
    # One line that says whether anything ran: operators (and the compose test) tell the one
    # process that migrated from the ones that found the schema current.
    db = engine.url.render_as_string()  # hides the password
    if before == after:
        logger.info("migrations: schema current db=%s revision=%s", db, after)
    else:
        logger.info("migrations applied db=%s from=%s to=%s", db, before or "empty", after)


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
