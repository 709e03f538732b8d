"""DB_TIMEOUT_S on a hung MariaDB (SIGSTOP): every call fails within one timeout, as an outage.

The server is a private one (tests/mariadb_private.py), never the machine's own.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from studio_core.db.engine import check_writable, make_engine
from studio_core.db.migrate import upgrade
from studio_core.db.tables import users

pytestmark = pytest.mark.slow

TIMEOUT_S = 2
# The exceptions the backend maps to 503 and studio_core.outages to "database".
OUTAGES = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


@pytest.fixture
def hung_engine(private_mariadb):
    """An engine with a pooled connection to a migrated server, then the server frozen."""
    upgrade(private_mariadb.url)
    engine = make_engine(private_mariadb.url, timeout_s=TIMEOUT_S)
    check_writable(engine)
    yield engine, private_mariadb
    private_mariadb.thaw()
    engine.dispose()


def _fails_within_one_timeout(call) -> sa.exc.DBAPIError:
    started = time.monotonic()
    with pytest.raises(OUTAGES) as raised:
        call()
    took = time.monotonic() - started
    assert TIMEOUT_S - 0.5 < took < TIMEOUT_S + 1.5, took
    return raised.value


def test_a_checkout_from_a_hung_server_fails_once_then_recovers(hung_engine):
    engine, server = hung_engine
    server.freeze()

    def select_one():
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    # The pooled connection's pre-ping times out: no reconnect that would wait as long again.
    _fails_within_one_timeout(select_one)
    _fails_within_one_timeout(select_one)  # a new connection: the connect timeout
    _fails_within_one_timeout(lambda: check_writable(engine))
    server.thaw()
    check_writable(engine)


def test_a_transaction_open_when_the_server_hangs_fails_within_one_timeout(hung_engine):
    engine, server = hung_engine
    with engine.connect() as conn:
        conn.execute(sa.select(users.c.id)).all()
        conn.rollback()
        server.freeze()

        def update():
            with conn.begin():  # its ROLLBACK must not wait on the dead connection again
                conn.execute(sa.update(users).values(disabled=users.c.disabled))

        error = _fails_within_one_timeout(update)
        assert error.connection_invalidated
    server.thaw()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar() == 1


def test_a_stopped_server_fails_fast_and_a_restart_is_picked_up(hung_engine):
    engine, server = hung_engine
    server.stop(kill=True)
    started = time.monotonic()
    with pytest.raises(OUTAGES):
        check_writable(engine)
    assert time.monotonic() - started < TIMEOUT_S + 1.5
    server.start()
    check_writable(engine)
