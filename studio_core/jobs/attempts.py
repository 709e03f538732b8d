"""The worker's writes to a job, fenced on `jobs.attempt`: `JobAttempts`.

A worker presumed dead cannot overwrite a newer attempt: every write here is conditional on
`id`, `attempt` and `status='processing'`, and each state change goes through
`transitions` in the same transaction: a `job_events` row and the status counters.
Every public method is one transaction (commit at the boundary), run again when MySQL makes it
a deadlock's victim (studio_core.db.retry).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from studio_core.db.engine import write_transaction as _write
from studio_core.db.retry import rerun_deadlock_victims
from studio_core.db.tables import job_outputs, jobs
from studio_core.db.utc import utcnow
from studio_core.jobs.states import ACTIVE, JobStatus
from studio_core.jobs.transitions import (
    move,
    owner_and_attempt,
    record_event,
    status_in,
    transition,
)

logger = logging.getLogger(__name__)

_PROCESSING = JobStatus.PROCESSING
# Attempts that count towards max_attempts: a hand-back by a stopping worker is refunded.
_CHARGED = jobs.c.attempt - jobs.c.refunded_attempts


def fenced(job_id: str, attempt: int | None):
    """WHERE clause for a write by the worker holding `attempt` (None: any active attempt)."""
    if attempt is None:
        return sa.and_(jobs.c.id == job_id, status_in(ACTIVE))
    return sa.and_(
        jobs.c.id == job_id, jobs.c.attempt == attempt, jobs.c.status == _PROCESSING.value
    )


class JobAttempts:
    """claim / give_up / set_prompt_id / set_progress / finish / fail / release / cancelled."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @rerun_deadlock_victims
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
        where = jobs.c.id == job_id
        if not final:
            where = sa.and_(where, jobs.c.max_attempts > _CHARGED)
        values = {
            "attempt": jobs.c.attempt + 1,
            "worker_id": worker_id,
            "prompt_id": None,
            "started_at": now,
            "updated_at": now,
        }
        with _write(self.engine) as conn:
            moved = transition(conn, job_id, where, _PROCESSING, values, f"claimed by {worker_id}")
            if moved:
                attempt = moved[1]
                logger.info("job claimed job=%s attempt=%s worker=%s", job_id, attempt, worker_id)
                return attempt
            if give_up:
                self._give_up(conn, job_id, now)
        return None

    @rerun_deadlock_victims
    def give_up(self, job_id: str) -> bool:
        """Fail an active job whose attempts are spent ("gave up after N attempts")."""
        with _write(self.engine) as conn:
            return self._give_up(conn, job_id, utcnow())

    def is_exhausted(self, job_id: str) -> bool:
        """True when the job is still active but has no attempt left (poison)."""
        query = sa.select(jobs.c.id).where(
            jobs.c.id == job_id, status_in(ACTIVE), jobs.c.max_attempts <= _CHARGED
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
        previous = move(
            conn,
            sa.and_(jobs.c.id == job_id, jobs.c.max_attempts <= _CHARGED),
            JobStatus.FAILED,
            {"finished_at": now, "updated_at": now},
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

    @rerun_deadlock_victims
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

    @rerun_deadlock_victims
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
        return self._finish(job_id, attempt, rows, now)

    @rerun_deadlock_victims
    def _finish(self, job_id: str, attempt: int, rows: list[dict], now) -> bool:
        # Apart from `finish`: a deadlock's victim runs again with the same rows (`outputs`
        # may be an iterator, read once).
        finished = {"progress": 100, "error": None, "finished_at": now, "updated_at": now}
        with _write(self.engine) as conn:
            # The outputs are written between the status and the event (not through
            # `transition`): the counter rows are locked last and held the shortest time.
            previous = move(conn, fenced(job_id, attempt), JobStatus.FINISHED, finished)
            if not previous:
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
                old=previous,
                new=JobStatus.FINISHED.value,
            )
        logger.info("job finished job=%s attempt=%s images=%s", job_id, attempt, len(rows))
        return True

    @rerun_deadlock_victims
    def fail(self, job_id: str, attempt: int | None, reason: str) -> bool:
        """Fail the job with a readable reason; attempt None fails it from any active state."""
        now = utcnow()
        values = {"error": reason, "finished_at": now, "updated_at": now}
        with _write(self.engine) as conn:
            moved = transition(
                conn,
                job_id,
                fenced(job_id, attempt),
                JobStatus.FAILED,
                values,
                reason,
                among=None if attempt is None else (_PROCESSING,),
            )
        if not moved:
            return False
        logger.info("job failed job=%s attempt=%s reason=%s", job_id, moved[1], reason)
        return True

    @rerun_deadlock_victims
    def release(self, job_id: str, attempt: int, reason: str) -> bool:
        """Give a processing job back to the queue (worker shutdown); False when fenced out.

        The attempt is refunded: stopping a worker is not the job's fault, so it must never
        bring the job closer to being failed as poison.
        """
        values = {
            "worker_id": None,
            "refunded_attempts": jobs.c.refunded_attempts + 1,
            "updated_at": utcnow(),
        }
        with _write(self.engine) as conn:
            moved = transition(
                conn, job_id, fenced(job_id, attempt), JobStatus.QUEUED, values, reason
            )
        return moved is not None

    @rerun_deadlock_victims
    def mark_cancelled_by_worker(
        self, job_id: str, attempt: int, detail: str = "stopped by worker"
    ) -> bool:
        """The worker stopped this attempt for a cancel; records it (idempotent)."""
        now = utcnow()
        values = {"finished_at": now, "updated_at": now}
        with _write(self.engine) as conn:
            if transition(
                conn,
                job_id,
                fenced(job_id, attempt),
                JobStatus.CANCELLED,
                values,
                detail,
                among=(_PROCESSING,),
            ):
                return True
            # Already cancelled (by the user's POST, which recorded the event): one
            # terminal event per job, so nothing more is written.
            status = conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job_id)).scalar()
            return status == JobStatus.CANCELLED.value
