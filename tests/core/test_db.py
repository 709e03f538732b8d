"""Migrations, engine settings and the UTC column type, on SQLite and MariaDB/MySQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError, StatementError

from studio_core.db.engine import make_engine, write_transaction
from studio_core.db.migrate import current_revision, head_revision, is_up_to_date, upgrade
from studio_core.db.tables import LOCAL_USER_ID, api_tokens, metadata, users
from tests.core.helpers import add_user

TABLES = {
    "users",
    "sessions",
    "api_tokens",
    "uploads",
    "jobs",
    "job_inputs",
    "job_outputs",
    "job_events",
    "job_counts",
    "custom_tools",
}


def test_upgrade_on_a_fresh_sqlite_file_creates_the_schema_and_is_repeatable(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'studio.db'}"
    upgrade(url)
    upgrade(url)  # second run: already at head
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision() == "0006"
        assert set(sa.inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_migration_matches_the_table_definitions(db_engine):
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_seeded_user_is_the_admin(db_engine):
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == LOCAL_USER_ID)).one()
    assert (row.username, row.role, row.disabled) == ("admin", "admin", False)


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        with pytest.raises(IntegrityError), write_transaction(engine) as conn:
            conn.execute(sa.insert(api_tokens).values(user_id=999, name="t", token_hash="h"))
    finally:
        engine.dispose()


def test_a_failed_write_transaction_rolls_back(db_engine):
    with pytest.raises(RuntimeError), write_transaction(db_engine) as conn:
        conn.execute(sa.insert(users).values(username="ghost", password_hash="x", role="user"))
        raise RuntimeError("boom")
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar() == 1


def test_timestamps_round_trip_as_aware_utc_with_microseconds(db_engine):
    taipei = timezone(timedelta(hours=8))
    created = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=taipei)
    user_id = add_user(db_engine, "tz")
    with db_engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.id == user_id).values(created_at=created))
        stored = conn.execute(sa.select(users.c.created_at).where(users.c.id == user_id)).scalar()
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == created
    assert stored.isoformat() == "2024-05-01T00:30:15.123456+00:00"


def test_naive_datetimes_are_refused(db_engine):
    with pytest.raises(StatementError, match="naive datetime"), db_engine.begin() as conn:
        conn.execute(sa.update(users).values(created_at=datetime(2024, 1, 1)))


def test_unicode_beyond_the_basic_plane_is_stored(db_engine):
    name = "貓🐱"
    add_user(db_engine, name)
    with db_engine.connect() as conn:
        found = conn.execute(sa.select(users.c.username).where(users.c.username == name))
        assert found.scalar() == name


def test_usernames_are_unique(db_engine):
    add_user(db_engine, "ann")
    with pytest.raises(IntegrityError):
        add_user(db_engine, "ann")


@pytest.mark.mysql
def test_mysql_tables_use_utf8mb4(mysql_database):
    engine = make_engine(mysql_database)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            collations = conn.execute(
                sa.text(
                    "SELECT table_name, table_collation FROM information_schema.tables "
                    "WHERE table_schema = DATABASE()"
                )
            ).all()
    finally:
        engine.dispose()
    assert {name for name, _ in collations} >= TABLES
    assert all(collation.startswith("utf8mb4") for _, collation in collations)


def test_is_up_to_date(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert current_revision(engine) is None and not is_up_to_date(engine)
        upgrade(engine)
        assert is_up_to_date(engine) and head_revision() == "0006"
    finally:
        engine.dispose()
