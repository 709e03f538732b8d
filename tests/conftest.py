"""Shared fixtures: a fresh database (SQLite and MySQL), a private Redis, a running ComfyUI
simulator, a private MariaDB, a small tmpfs and a live studio.

MySQL tests use a dedicated database `studio_test_<random>` created on the server named by
STUDIO_TEST_MYSQL_URL for this session and dropped afterwards.
"""

from __future__ import annotations

import os
import signal

import pytest
import requests
import sqlalchemy as sa

from studio_core.db.engine import make_engine
from studio_core.db.migrate import upgrade
from studio_core.db.tables import (
    LOCAL_USER_ID,
    api_tokens,
    custom_tools,
    job_counts,
    job_events,
    job_inputs,
    job_outputs,
    jobs,
    sessions,
    uploads,
    users,
)
from studio_core.redis_client import connect_redis
from studio_ops.embedded_redis import start_scratch_redis
from studio_ops.processes import start_simulator
from tests.helpers import IN_CI, mounted_tmpfs, scratch_mysql_database
from tests.mariadb_private import PrivateMariaDB, mariadb_binaries

BACKENDS = ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)]


@pytest.fixture(scope="session")
def mysql_database():
    """URL of a MySQL database created for this test session (dropped at the end)."""
    with scratch_mysql_database("studio_test") as url:
        yield url


def _empty_tables(engine) -> None:
    """Delete every row except the seeded user, who is the admin again with no password."""
    with engine.begin() as conn:
        tables = (job_counts, job_events, job_outputs, job_inputs, uploads, jobs, api_tokens)
        conn.execute(sa.delete(custom_tools))
        for table in (*tables, sessions):
            conn.execute(sa.delete(table))
        conn.execute(sa.delete(users).where(users.c.id != LOCAL_USER_ID))
        conn.execute(
            sa.update(users)
            .where(users.c.id == LOCAL_USER_ID)
            .values(username="admin", password_hash="!", role="admin", disabled=False)
        )


@pytest.fixture(params=BACKENDS)
def db_engine(request, tmp_path):
    """A migrated, empty database: a fresh SQLite file, or the session's MySQL database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'studio.db'}")
        upgrade(engine)
    else:
        engine = make_engine(request.getfixturevalue("mysql_database"))
        upgrade(engine)  # a no-op after the first test of the session
        _empty_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A redis-server of our own on a free port (never someone's DB 0)."""
    proc = start_scratch_redis(tmp_path_factory.mktemp("redis"))
    yield proc
    proc.stop()


@pytest.fixture
def redis_url(redis_server):
    """URL of the private Redis, emptied before each test."""
    client = connect_redis(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def redis_client(redis_url):
    """A client on the private, empty Redis, built as the studio builds its own."""
    client = connect_redis(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def private_mariadb_server(tmp_path_factory):
    """A mariadbd of our own for the session (never the machine's 127.0.0.1:3306)."""
    if mariadb_binaries() is None:
        if IN_CI:
            pytest.fail("CI must have mariadbd and mariadb-install-db for the outage tests")
        pytest.skip("mariadbd is not installed")
    server = PrivateMariaDB(tmp_path_factory.mktemp("mariadb"))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def private_mariadb(private_mariadb_server):
    """The private MariaDB, running and thawed, with an empty `studio_test` database.

    Tests may freeze, kill or stop it; the next test gets it back up.
    """
    server = private_mariadb_server
    server.thaw()
    server.start()
    server.reset_database()
    yield server
    server.thaw()  # a frozen server would hang the engines that tests dispose of


@pytest.fixture
def small_tmpfs(tmp_path):
    """A fresh 2 MB tmpfs mounted under tmp_path (a volume a test may fill to the last byte)."""
    with mounted_tmpfs(tmp_path / "volume", 2) as mount:
        yield mount


@pytest.fixture(scope="session")
def sim_server(tmp_path_factory):
    """One simulator for the session: fast nodes, short sampler steps."""
    proc = start_simulator(tmp_path_factory.mktemp("sim"), "--node-ms", "0", "--step-ms", "5")
    yield proc
    proc.stop()


@pytest.fixture
def sim_url(sim_server):
    """Base URL of the session simulator, with faults and timings reset before each test."""
    requests.post(sim_server.url + "/sim/reset", json={}, timeout=5).raise_for_status()
    return sim_server.url


def pytest_configure(config):
    """SIGTERM stops the run like Ctrl-C: fixtures tear down, so the simulators, Redis and
    studios the tests started stop too (`studio.py test` execs into pytest, so a SIGTERM to
    it lands here; the default action would kill pytest alone and orphan them)."""

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, interrupt)


def pytest_collection_modifyitems(config, items):
    """Tag MySQL tests; they skip locally without STUDIO_TEST_MYSQL_URL but CI sets it."""
    if os.environ.get("STUDIO_TEST_MYSQL_URL"):
        return
    skip = pytest.mark.skip(reason="STUDIO_TEST_MYSQL_URL not set")
    for item in items:
        if "mysql" in item.keywords:
            if IN_CI:
                raise pytest.UsageError("CI must set STUDIO_TEST_MYSQL_URL for mysql tests")
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_studio(tmp_path_factory):
    """A whole studio on real processes (Redis, simulator, one worker, backend) for the session."""
    from studio_ops.live_stack import start_live_studio

    studio = start_live_studio(tmp_path_factory.mktemp("live"))
    yield studio
    studio.stop()
