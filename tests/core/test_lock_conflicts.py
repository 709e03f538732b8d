"""A MySQL/MariaDB deadlock (or lock wait timeout) is a transient database outage: the server
rolled the transaction back and running it again succeeds. The worker pauses and retries it
(worker.jobs.outage_retry), the API answers 503 with Retry-After (backend.errors); before, the
deadlock came as an InternalError that neither knew, so the API answered 500 and the worker
took it for a bug (seen in CI: tests/core/test_job_counts.py with 4 threads on MariaDB)."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from studio_core.db.retry import rerun_deadlock_victims
from studio_core.db.tables import users
from studio_core.outages import describe_outage, is_lock_conflict, outage_kind
from tests.core.helpers import add_user


def _deadlock(engine) -> sa.exc.DBAPIError:
    """Two transactions lock two rows in opposite orders; returns the victim's error."""
    first, second = add_user(engine, "lock_a"), add_user(engine, "lock_b")
    both_hold_one = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def run(mine: int, theirs: int) -> None:
        try:
            with engine.begin() as conn:
                touch = sa.update(users).values(disabled=users.c.disabled)
                conn.execute(touch.where(users.c.id == mine))
                both_hold_one.wait()
                conn.execute(touch.where(users.c.id == theirs))
        except sa.exc.DBAPIError as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(first, second)),
        threading.Thread(target=run, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(errors) == 1, errors  # one victim; the other transaction went through
    return errors[0]


def test_a_real_deadlock_is_a_transient_database_outage(db_engine):
    if db_engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no deadlocks to classify")
    exc = _deadlock(db_engine)
    assert is_lock_conflict(exc)
    assert outage_kind(exc) == "database"
    assert describe_outage("database", exc).startswith("database unavailable (")


def test_other_driver_errors_are_not_outages(db_engine):
    add_user(db_engine, "twice")
    with pytest.raises(sa.exc.IntegrityError) as raised:
        add_user(db_engine, "twice")
    assert not is_lock_conflict(raised.value)
    assert outage_kind(raised.value) is None  # a bug, not an outage: the API answers 500


def test_a_real_deadlock_victim_runs_again_and_both_transactions_go_through(db_engine, caplog):
    """The same two transactions, each decorated as the repository's writes are: InnoDB rolls
    one back, it runs again (after the other committed) and neither caller sees an error."""
    if db_engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no deadlocks")
    first, second = add_user(db_engine, "rerun_a"), add_user(db_engine, "rerun_b")
    both_hold_one = threading.Barrier(2, timeout=10)
    runs: list[int] = []
    errors: list[BaseException] = []

    @rerun_deadlock_victims
    def lock_both(mine: int, theirs: int) -> None:
        runs.append(mine)
        with db_engine.begin() as conn:
            touch = sa.update(users).values(disabled=users.c.disabled)
            conn.execute(touch.where(users.c.id == mine))
            if runs.count(mine) == 1:  # the first runs meet; a victim's rerun goes alone
                both_hold_one.wait()
            conn.execute(touch.where(users.c.id == theirs))

    def run(mine: int, theirs: int) -> None:
        try:
            lock_both(mine, theirs)
        except BaseException as exc:  # the assertion below shows it
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(first, second)),
        threading.Thread(target=run, args=(second, first)),
    ]
    with caplog.at_level(logging.INFO, logger="studio_core.db.retry"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert sorted(runs) in ([first, first, second], [first, second, second])
    assert [r.getMessage() for r in caplog.records if "deadlock victim" in r.getMessage()]
