"""Which exceptions mean "a service the studio needs is down", as opposed to a bug.

An outage of the database, Redis or the storage volume is not the job's fault: the backend
answers 503/507 and asks the client to retry, and the worker pauses the job with backoff
instead of failing it or spending one of its attempts.
"""

from __future__ import annotations

import errno

import redis
from sqlalchemy import exc as sa_exc

from studio_core.errors import StorageFull

REDIS_OUTAGES = (redis.ConnectionError, redis.TimeoutError)
DB_OUTAGES = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
MYSQL_DEADLOCK = 1213  # ER_LOCK_DEADLOCK
MYSQL_RETRYABLE = frozenset({MYSQL_DEADLOCK, 1205})  # and ER_LOCK_WAIT_TIMEOUT


def is_lock_conflict(exc: BaseException) -> bool:
    """MySQL/MariaDB chose this transaction as a deadlock's victim, or its lock wait timed
    out: the transaction was rolled back and running it again is the remedy. mysql-connector
    raises the deadlock as an InternalError, which is not one of DB_OUTAGES."""
    return _mysql_errno(exc) in MYSQL_RETRYABLE


def is_deadlock(exc: BaseException) -> bool:
    """A deadlock's victim: rolled back at once, no wait spent (unlike a lock wait timeout)."""
    return _mysql_errno(exc) == MYSQL_DEADLOCK


def _mysql_errno(exc: BaseException) -> int | None:
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    code = getattr(exc.orig, "errno", None)
    if code is None and getattr(exc.orig, "args", None):
        code = exc.orig.args[0]
    return code


_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def outage_kind(exc: BaseException) -> str | None:
    """ "database", "redis" or "disk" when `exc` is an outage of that service, else None."""
    if isinstance(exc, StorageFull) or (isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS):
        return "disk"
    if (
        isinstance(exc, DB_OUTAGES)
        or (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated)
        or is_lock_conflict(exc)  # transient as an outage is: pause or answer 503, then again
    ):
        # SQLite on a full volume says "database or disk is full": the disk is the cause.
        return "disk" if "disk is full" in str(exc) else "database"
    if isinstance(exc, REDIS_OUTAGES):
        return "redis"
    return None


def describe_outage(kind: str, exc: BaseException) -> str:
    """One readable line: "database unavailable (OperationalError: ...)"."""
    if isinstance(exc, StorageFull):
        return exc.message  # already says it: "storage is full: N MB free under <dir>"
    what = {"disk": "storage is full", "database": "database unavailable"}.get(
        kind, f"{kind} unavailable"
    )
    detail = str(exc).splitlines()[0] if str(exc) else ""
    return f"{what} ({type(exc).__name__}: {detail[:200]})"
