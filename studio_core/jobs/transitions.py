"""The SQL side of a job transition, shared by the user's writes and the worker's.

`move` changes a status with a conditional UPDATE from the sources the transition table
allows (`states.sources_for`); `record_event` writes the `job_events` row and moves the
per-owner counters in the same transaction. Functions take the caller's open connection:
the caller owns the transaction (commit at the boundary).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from studio_core.db.tables import job_events, jobs
from studio_core.db.utc import utcnow
from studio_core.jobs.counts import CountDeltas, apply_deltas, transition_deltas
from studio_core.jobs.states import JobStatus, sources_for

_INSERT_EVENT = sa.insert(job_events)  # values go as parameters: one cached statement
_OWNER_ATTEMPT = sa.select(jobs.c.user_id, jobs.c.attempt).where(
    jobs.c.id == sa.bindparam("job_id")
)


def status_in(statuses: Iterable[JobStatus]):
    """WHERE `jobs.status` is one of `statuses` (bound as plain strings, as every driver takes)."""
    return jobs.c.status.in_([s.value for s in statuses])


def record_event(
    conn: Connection,
    job_id: str,
    user_id: int,
    attempt: int,
    detail: str | None,
    *,
    old: str | None,
    new: str | None,
    pending: CountDeltas | None = None,
) -> None:
    """Record one transition (inside the caller's transaction): event row and status counters.

    `old` / `new` are the job's status before and after, None where it is not counted
    (before it exists, after a soft delete); the event row carries `new`, or `old` for a
    delete. With `pending`, counter changes are collected for the caller to apply once.
    """
    conn.execute(
        _INSERT_EVENT,
        {
            "job_id": job_id,
            "status": new if new is not None else old,
            "attempt": attempt,
            "detail": detail,
            "created_at": utcnow(),
        },
    )
    deltas = transition_deltas(user_id, old, new)
    if pending is not None:
        pending.update(deltas)
    else:
        apply_deltas(conn, deltas)


def owner_and_attempt(conn: Connection, job_id: str):
    """(user_id, attempt) of a job row (read after the caller's UPDATE locked it)."""
    return conn.execute(_OWNER_ATTEMPT, {"job_id": job_id}).one()


def move(
    conn: Connection,
    where,
    new: JobStatus,
    values: Mapping[str, Any],
    *,
    among: Iterable[JobStatus] | None = None,
) -> str | None:
    """Set status `new` (and `values`) where it may come from; returns the status it left.

    The candidates are the statuses the transition table lets a job leave for `new`
    (narrowed to `among` when the caller's WHERE already pins the status). The counters
    need the status a job came from; one UPDATE per candidate keeps the write first (no
    read-then-write race) and costs one statement in the common case.
    """
    for previous in sources_for(new, among):
        if conn.execute(
            sa.update(jobs)
            .where(where, jobs.c.status == previous.value)
            .values(status=new.value, **values)
        ).rowcount:
            return previous.value
    return None


def transition(
    conn: Connection,
    job_id: str,
    where,
    new: JobStatus,
    values: Mapping[str, Any],
    detail: str,
    *,
    among: Iterable[JobStatus] | None = None,
) -> tuple[str, int] | None:
    """`move` then `record_event`; returns (status left, attempt), None when nothing moved."""
    previous = move(conn, where, new, values, among=among)
    if previous is None:
        return None
    owner, attempt = owner_and_attempt(conn, job_id)
    record_event(conn, job_id, owner, attempt, detail, old=previous, new=new.value)
    return previous, attempt
