"""Per-owner job counts by status, moved in the same transaction as every job transition.

`job_counts(user_id, status, n)` holds the number of non-deleted jobs of each owner in each
status. `transitions.record_event` (the one place a transition is recorded) adds the
deltas, so the counters are consistent by construction and reading them costs a few rows
whatever the size of the jobs table.

Concurrency: a transition is one UPDATE `n = n + CASE ...` over existing rows, which locks
them in primary-key order, so two transactions never wait on each other's counters in
opposite orders. Rows are created ahead of time (the migration seeds every existing user,
`seed_owner` a new one before its first job); a row still missing is inserted with an
insert-or-ignore inside the transition, which is safe against a concurrent insert of the
same key.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import Connection, Engine

from studio_core.db.engine import write_transaction
from studio_core.db.tables import job_counts, jobs, users
from studio_core.jobs.states import JobStatus

logger = logging.getLogger(__name__)

CountDeltas = Counter  # {(user_id, status): change in n}; pending changes of a transaction


def transition_deltas(user_id: int, old: str | None, new: str | None) -> CountDeltas:
    """The counter changes of one job moving from `old` to `new` (None: not counted)."""
    deltas: CountDeltas = Counter()
    if old != new:
        if old is not None:
            deltas[(user_id, old)] -= 1
        if new is not None:
            deltas[(user_id, new)] += 1
    return deltas


def _insert_missing(conn: Connection, rows: list[dict]) -> None:
    """Insert zero rows, leaving any that exist (also ones a concurrent transaction adds)."""
    # Primary-key order, as UPDATEs lock them: opposite orders could deadlock on MySQL.
    rows = sorted(rows, key=lambda r: (r["user_id"], r["status"]))
    name = conn.dialect.name
    if name == "sqlite":
        conn.execute(sqlite.insert(job_counts).on_conflict_do_nothing(), rows)
    elif name in ("mysql", "mariadb"):
        # `n = n` keeps the existing count: a no-op that turns the duplicate into success.
        conn.execute(mysql.insert(job_counts).on_duplicate_key_update(n=job_counts.c.n), rows)
    else:
        raise NotImplementedError(f"job counters do not support the {name} dialect")


def seed_owner(engine: Engine, user_id: int) -> None:
    """Make sure `user_id` has a zero row per status, in its own short transaction(s).

    Idempotent. Runs before the owner's first job is recorded, so that transaction only
    UPDATEs rows: inserting there would take gap locks concurrent first jobs deadlock on.
    Seeding changes no count, so running it again after a MySQL deadlock is safe: its caller,
    `JobRepository.create`, is run again whole when it is a deadlock's victim.
    """
    wanted = {s.value for s in JobStatus}
    with engine.connect() as conn:
        present = set(
            conn.execute(
                sa.select(job_counts.c.status).where(job_counts.c.user_id == user_id)
            ).scalars()
        )
    if wanted <= present:
        return
    rows = [{"user_id": user_id, "status": s, "n": 0} for s in wanted - present]
    with write_transaction(engine) as conn:
        _insert_missing(conn, rows)


def _update(conn: Connection, user_id: int, deltas: Mapping[str, int]) -> int:
    """Add {status: delta} to one owner's rows in one statement; returns rows matched."""
    change = sa.case(
        *((job_counts.c.status == status, delta) for status, delta in sorted(deltas.items()))
    )
    return conn.execute(
        sa.update(job_counts)
        .where(job_counts.c.user_id == user_id, job_counts.c.status.in_(sorted(deltas)))
        .values(n=job_counts.c.n + change)
    ).rowcount


def apply_deltas(conn: Connection, deltas: Mapping[tuple[int, str], int]) -> None:
    """Add pending counter changes inside the caller's transaction (owners in id order)."""
    by_owner: dict[int, dict[str, int]] = {}
    for (user_id, status), delta in deltas.items():
        if delta:
            by_owner.setdefault(user_id, {})[status] = delta
    for user_id in sorted(by_owner):
        changes = by_owner[user_id]
        if _update(conn, user_id, changes) == len(changes):
            continue
        # A row is missing (a user whose first job predates seed_owner, or a repaired table):
        # find which under a lock, create it at zero, then add its delta.
        present = set(
            conn.execute(
                sa.select(job_counts.c.status)
                .where(job_counts.c.user_id == user_id, job_counts.c.status.in_(sorted(changes)))
                .with_for_update()
            ).scalars()
        )
        missing = {s: d for s, d in changes.items() if s not in present}
        logger.warning("job counter rows missing user=%s statuses=%s", user_id, sorted(missing))
        _insert_missing(conn, [{"user_id": user_id, "status": s, "n": 0} for s in missing])
        _update(conn, user_id, missing)


def read_counts(conn: Connection, user_id: int | None = None) -> dict[str, int]:
    """{status: count} of non-deleted jobs (one owner's, or everyone's), every status present."""
    counts = {s.value: 0 for s in JobStatus}
    if user_id is None:
        query = sa.select(job_counts.c.status, sa.func.sum(job_counts.c.n)).group_by(
            job_counts.c.status
        )
    else:
        query = sa.select(job_counts.c.status, job_counts.c.n).where(
            job_counts.c.user_id == user_id
        )
    for status, n in conn.execute(query):
        counts[status] = counts.get(status, 0) + int(n or 0)  # SUM is a Decimal on MySQL
    return counts


def count_jobs(conn: Connection) -> dict[tuple[int, str], int]:
    """{(user_id, status): n} counted from the jobs table (the slow truth the counters keep)."""
    query = (
        sa.select(jobs.c.user_id, jobs.c.status, sa.func.count())
        .where(jobs.c.deleted_at.is_(None))
        .group_by(jobs.c.user_id, jobs.c.status)
    )
    return {(user_id, status): n for user_id, status, n in conn.execute(query)}


def stored_counts(conn: Connection) -> dict[tuple[int, str], int]:
    """{(user_id, status): n} as the counter rows hold them, zero rows left out."""
    query = sa.select(job_counts.c.user_id, job_counts.c.status, job_counts.c.n).where(
        job_counts.c.n != 0
    )
    return {(user_id, status): n for user_id, status, n in conn.execute(query)}


def recount(conn: Connection) -> None:
    """Rebuild every counter row from the jobs table (repair after SQL edited jobs directly).

    Run it with writers stopped: a transition committing meanwhile could be counted twice.
    """
    found = count_jobs(conn)
    owners = set(conn.execute(sa.select(users.c.id)).scalars()) | {u for u, _ in found}
    statuses = {s.value for s in JobStatus} | {s for _, s in found}
    conn.execute(sa.delete(job_counts))
    rows = [
        {"user_id": user_id, "status": status, "n": found.get((user_id, status), 0)}
        for user_id in sorted(owners)
        for status in sorted(statuses)
    ]
    if rows:
        conn.execute(sa.insert(job_counts), rows)
    logger.info("job counters rebuilt owners=%s jobs=%s", len(owners), sum(found.values()))
