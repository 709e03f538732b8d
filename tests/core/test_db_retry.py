"""rerun_deadlock_victims: which driver errors run a transaction again, and how many times."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from studio_core.db.retry import DEADLOCK_RUNS, rerun_deadlock_victims
from tests.helpers import MysqlDriverError


def _failing(*errors: BaseException):
    """A decorated function raising `errors` in turn, then returning "done"; and its runs."""
    runs: list[int] = []

    @rerun_deadlock_victims
    def transaction() -> str:
        runs.append(len(runs) + 1)
        if len(runs) <= len(errors):
            raise errors[len(runs) - 1]
        return "done"

    return transaction, runs


def deadlock() -> sa.exc.DBAPIError:
    # mysql-connector raises ER_LOCK_DEADLOCK as an InternalError.
    return sa.exc.InternalError("UPDATE jobs SET ...", {}, MysqlDriverError(1213))


def test_a_victim_runs_again_until_it_goes_through():
    transaction, runs = _failing(deadlock(), deadlock())
    assert transaction() == "done"
    assert runs == [1, 2, 3]


def test_a_victim_every_time_gets_the_error_after_the_last_run():
    transaction, runs = _failing(*(deadlock() for _ in range(DEADLOCK_RUNS)))
    with pytest.raises(sa.exc.InternalError):
        transaction()
    assert len(runs) == DEADLOCK_RUNS


@pytest.mark.parametrize(
    "error",
    [
        # A lock wait timeout already waited the whole timeout: the caller's outage handling
        # spaces the next try.
        sa.exc.OperationalError("UPDATE jobs SET ...", {}, MysqlDriverError(1205)),
        sa.exc.IntegrityError("INSERT INTO jobs ...", {}, MysqlDriverError(1062)),
        sa.exc.OperationalError("SELECT 1", {}, ConnectionError("gone")),
        ValueError("not a database error"),
    ],
    ids=["lock-wait-timeout", "duplicate-key", "connection-lost", "other"],
)
def test_other_errors_run_once(error):
    transaction, runs = _failing(error)
    with pytest.raises(type(error)):
        transaction()
    assert runs == [1]
