"""Database fixtures for the core tests: a fresh migrated SQLite file, and MariaDB/MySQL.

MySQL tests use a dedicated database `studio_test_<random>` created on the server named by
STUDIO_TEST_MYSQL_URL for this session and dropped afterwards. Import the fixtures into a
test module (`from tests.db_support import db_engine, mysql_database`).
"""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from studio_core.db.engine import make_engine
from studio_core.db.migrate import upgrade
from studio_core.db.tables import (
    LOCAL_USER_ID,
    api_tokens,
    job_counts,
    job_events,
    job_inputs,
    job_outputs,
    jobs,
    uploads,
    users,
)

BACKENDS = ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)]
_created: dict[str, str] = {}  # one database per session even if two modules import this


def _server_engine(url):
    return make_engine(url.set(database=""))


@pytest.fixture(scope="session")
def mysql_database():
    """URL of a MySQL database created for this test session (dropped at the end)."""
    base = os.environ.get("STUDIO_TEST_MYSQL_URL")
    if not base:
        pytest.skip("STUDIO_TEST_MYSQL_URL not set")
    if "url" in _created:
        yield _created["url"]
        return
    url = make_url(base)
    name = f"studio_test_{secrets.token_hex(6)}"
    server = _server_engine(url)
    with server.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    _created["url"] = url.set(database=name).render_as_string(hide_password=False)
    try:
        yield _created["url"]
    finally:
        with server.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        server.dispose()
        _created.clear()


def empty_tables(engine) -> None:
    """Delete every row except the seeded local user (children first)."""
    with engine.begin() as conn:
        for table in (job_counts, job_events, job_outputs, job_inputs, uploads, jobs, api_tokens):
            conn.execute(sa.delete(table))
        conn.execute(sa.delete(users).where(users.c.id != LOCAL_USER_ID))


@pytest.fixture(params=BACKENDS)
def db_engine(request, tmp_path):
    """A migrated, empty database: a fresh SQLite file, or the session's MySQL database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'studio.db'}")
        upgrade(engine)
    else:
        engine = make_engine(request.getfixturevalue("mysql_database"))
        upgrade(engine)  # a no-op after the first test of the session
        empty_tables(engine)
    yield engine
    engine.dispose()


def add_user(engine, username: str, role: str = "user") -> int:
    """Insert a user and return its id."""
    with engine.begin() as conn:
        return conn.execute(
            sa.insert(users).values(username=username, password_hash="x", role=role)
        ).inserted_primary_key[0]
