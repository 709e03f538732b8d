"""The worker's writes to a job, fenced on `jobs.attempt` (mixed into `JobRepository`).

A worker presumed dead cannot overwrite a newer attempt: every write here is conditional on
`id`, `attempt` and `status='processing'`, and each state change goes through
`record_event` in the same transaction: a `job_events` row and the status counters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from studio_core.db import job_events, job_outputs, jobs, utcnow
from studio_core.db import write_transaction as _write
from studio_core.job_counts import CountDeltas, apply_deltas, transition_deltas
from studio_core.job_states import ACTIVE, JobStatus

logger = logging.getLogger(__name__)

_Q, _P = JobStatus.QUEUED.value, JobStatus.PROCESSING.value
_ACTIVE = [s.value for s in ACTIVE]
_INSERT_EVENT = sa.insert(job_events)  # values go as parameters: one cached statement
_OWNER_ATTEMPT = sa.select(jobs.c.user_id, jobs.c.attempt).where(
    jobs.c.id == sa.bindparam("job_id")
)


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


def move(conn: Connection, where, values: dict[str, Any], sources: tuple[str, ...]) -> str | None:
    """Conditional status UPDATE tried per possible previous status; returns the one it left.

    The counters need the status a job came from; one UPDATE per candidate keeps the write
    first (no read-then-write race) and costs one statement in the common case.
    """
    for previous in sources:
        if conn.execute(
            sa.update(jobs).where(where, jobs.c.status == previous).values(**values)
        ).rowcount:
            return previous
    return None


def fenced(job_id: str, attempt: int | None):
    """WHERE clause for a write by the worker holding `attempt` (None: any active attempt)."""
    if attempt is None:
        return sa.and_(jobs.c.id == job_id, jobs.c.status.in_(_ACTIVE))
    return sa.and_(jobs.c.id == job_id, jobs.c.attempt == attempt, jobs.c.status == _P)


class WorkerWrites:
    """claim / give_up / set_prompt_id / set_progress / finish / fail / release / mark_cancelled."""

    engine: Engine

    # -- the worker's writes (fenced on attempt) ------------------------------------------

    def claim(
        self, job_id: str, worker_id: str, *, give_up: bool = True, final: bool = False
    ) -> int | None:
        """Start a new attempt; returns it, or None when the job is terminal, gone or poison.

        A job whose charged attempts (`attempt - refunded_attempts`) reached `max_attempts` is
        poison: with `give_up` it is failed here; without, it is left as it is so the caller can
        first look for a result ComfyUI already produced. `final` claims it all the same (one
        last attempt that only collects that result).
        """
        now = utcnow()
        charged = jobs.c.attempt - jobs.c.refunded_attempts
        with _write(self.engine) as conn:
            previous = move(
                conn,
                jobs.c.id == job_id
                if final
                else sa.and_(jobs.c.id == job_id, charged < jobs.c.max_attempts),
                {
                    "status": _P,
                    "attempt": jobs.c.attempt + 1,
                    "worker_id": worker_id,
                    "prompt_id": None,
                    "started_at": now,
                    "updated_at": now,
                },
                (_Q, _P),
            )
            if previous:
                owner, attempt = owner_and_attempt(conn, job_id)
                record_event(
                    conn, job_id, owner, attempt, f"claimed by {worker_id}", old=previous, new=_P
                )
                logger.info("job claimed job=%s attempt=%s worker=%s", job_id, attempt, worker_id)
                return attempt
            if give_up:
                self._give_up(conn, job_id, now)
        return None

    def give_up(self, job_id: str) -> bool:
        """Fail an active job whose attempts are spent ("gave up after N attempts")."""
        with _write(self.engine) as conn:
            return self._give_up(conn, job_id, utcnow())

    def is_exhausted(self, job_id: str) -> bool:
        """True when the job is still active but has no attempt left (poison)."""
        charged = jobs.c.attempt - jobs.c.refunded_attempts
        query = sa.select(jobs.c.id).where(
            jobs.c.id == job_id, jobs.c.status.in_(_ACTIVE), charged >= jobs.c.max_attempts
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def holds(self, job_id: str, attempt: int) -> bool:
        """True while `attempt` still owns the job (processing under that attempt)."""
        with self.engine.connect() as conn:
            return (
                conn.execute(sa.select(jobs.c.id).where(fenced(job_id, attempt))).first()
                is not None
            )

    @staticmethod
    def _give_up(conn: Connection, job_id: str, now) -> bool:
        charged = jobs.c.attempt - jobs.c.refunded_attempts
        previous = move(
            conn,
            sa.and_(jobs.c.id == job_id, charged >= jobs.c.max_attempts),
            {"status": JobStatus.FAILED.value, "finished_at": now, "updated_at": now},
            (_Q, _P),
        )
        if not previous:
            return False  # terminal (e.g. cancelled while queued), unknown or not poison
        row = conn.execute(
            sa.select(jobs.c.user_id, jobs.c.attempt, jobs.c.refunded_attempts).where(
                jobs.c.id == job_id
            )
        ).one()
        attempts = row.attempt - row.refunded_attempts
        reason = f"gave up after {attempts} attempts"
        conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(error=reason))
        record_event(
            conn, job_id, row.user_id, row.attempt, reason, old=previous, new=JobStatus.FAILED.value
        )
        logger.warning("job poisoned job=%s attempts=%s", job_id, attempts)
        return True

    def set_prompt_id(self, job_id: str, attempt: int, prompt_id: str) -> bool:
        """Record ComfyUI's prompt id for this attempt; False when fenced out."""
        with _write(self.engine) as conn:
            return bool(
                conn.execute(
                    sa.update(jobs)
                    .where(fenced(job_id, attempt))
                    .values(prompt_id=prompt_id, updated_at=utcnow())
                ).rowcount
            )

    def set_progress(self, job_id: str, attempt: int, progress: int) -> bool:
        """Persist progress (monotonic, 0-100); False when fenced out or not higher."""
        progress = max(0, min(100, int(progress)))
        with _write(self.engine) as conn:
            return bool(
                conn.execute(
                    sa.update(jobs)
                    .where(fenced(job_id, attempt), jobs.c.progress < progress)
                    .values(progress=progress, updated_at=utcnow())
                ).rowcount
            )

    def finish(self, job_id: str, attempt: int, outputs: Iterable[Any]) -> bool:
        """Write outputs + finished + event in one transaction; False when fenced out.

        `outputs` are `storage.StoredOutput`s or mappings with idx, filename,
        thumb_filename, width, height, size_bytes.
        """
        now = utcnow()
        rows = [
            {
                **(o._asdict() if hasattr(o, "_asdict") else dict(o)),
                "job_id": job_id,
                "created_at": now,
            }
            for o in outputs
        ]
        with _write(self.engine) as conn:
            if not conn.execute(
                sa.update(jobs)
                .where(fenced(job_id, attempt))
                .values(
                    status=JobStatus.FINISHED.value,
                    progress=100,
                    error=None,
                    finished_at=now,
                    updated_at=now,
                )
            ).rowcount:
                logger.warning("finish fenced out job=%s attempt=%s", job_id, attempt)
                return False
            conn.execute(sa.delete(job_outputs).where(job_outputs.c.job_id == job_id))
            if rows:
                conn.execute(sa.insert(job_outputs), rows)
            owner, _ = owner_and_attempt(conn, job_id)
            record_event(
                conn,
                job_id,
                owner,
                attempt,
                f"{len(rows)} images",
                old=_P,
                new=JobStatus.FINISHED.value,
            )
        logger.info("job finished job=%s attempt=%s images=%s", job_id, attempt, len(rows))
        return True

    def fail(self, job_id: str, attempt: int | None, reason: str) -> bool:
        """Fail the job with a readable reason; attempt None fails it from any active state."""
        now = utcnow()
        with _write(self.engine) as conn:
            previous = move(
                conn,
                fenced(job_id, attempt),
                {
                    "status": JobStatus.FAILED.value,
                    "error": reason,
                    "finished_at": now,
                    "updated_at": now,
                },
                (_Q, _P) if attempt is None else (_P,),
            )
            if not previous:
                return False
            owner, current = owner_and_attempt(conn, job_id)
            record_event(
                conn, job_id, owner, current, reason, old=previous, new=JobStatus.FAILED.value
            )
        logger.info("job failed job=%s attempt=%s reason=%s", job_id, current, reason)
        return True

    def release(self, job_id: str, attempt: int, reason: str) -> bool:
        """Give a processing job back to the queue (worker shutdown); False when fenced out.

        The attempt is refunded: stopping a worker is not the job's fault, so it must never
        bring the job closer to being failed as poison.
        """
        with _write(self.engine) as conn:
            if not conn.execute(
                sa.update(jobs)
                .where(fenced(job_id, attempt))
                .values(
                    status=_Q,
                    worker_id=None,
                    refunded_attempts=jobs.c.refunded_attempts + 1,
                    updated_at=utcnow(),
                )
            ).rowcount:
                return False
            owner, _ = owner_and_attempt(conn, job_id)
            record_event(conn, job_id, owner, attempt, reason, old=_P, new=_Q)
        return True

    def mark_cancelled_by_worker(
        self, job_id: str, attempt: int, detail: str = "stopped by worker"
    ) -> bool:
        """The worker stopped this attempt for a cancel; records it (idempotent)."""
        now = utcnow()
        with _write(self.engine) as conn:
            moved = conn.execute(
                sa.update(jobs)
                .where(fenced(job_id, attempt))
                .values(status=JobStatus.CANCELLED.value, finished_at=now, updated_at=now)
            ).rowcount
            if not moved:
                # Already cancelled (by the user's POST, which recorded the event): one
                # terminal event per job, so nothing more is written.
                status = conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job_id)).scalar()
                return status == JobStatus.CANCELLED.value
            owner, _ = owner_and_attempt(conn, job_id)
            record_event(
                conn, job_id, owner, attempt, detail, old=_P, new=JobStatus.CANCELLED.value
            )
        return True
