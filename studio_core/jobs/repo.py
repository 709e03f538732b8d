"""The user's side of a job in SQL: `JobRepository` (create, read, cancel, favourite, delete).

Every public method is one transaction (commit at the boundary), run again when MySQL makes it
a deadlock's victim (studio_core.db.retry). Every state change also
writes a `job_events` row and moves the status counters in the same transaction
(`transitions`). Writes go first in each transaction (conditional UPDATEs) so concurrent
workers and API threads cannot interleave a read and a write. The worker's writes, fenced on
the attempt, are `JobAttempts`, reached as `JobRepository.attempts`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from studio_core.db.engine import write_transaction as _write
from studio_core.db.retry import rerun_deadlock_victims
from studio_core.db.tables import job_inputs, jobs, uploads
from studio_core.db.utc import utcnow
from studio_core.errors import Conflict, InvalidInput, JobNotFound
from studio_core.jobs.attempts import JobAttempts
from studio_core.jobs.counts import CountDeltas, read_counts, seed_owner
from studio_core.jobs.queries import (
    active_jobs,
    events_of,
    inserted_job,
    job_files,
    list_jobs,
    load_job,
    load_visible_job,
    visible_clause,
)
from studio_core.jobs.states import ACTIVE, JobStatus
from studio_core.jobs.transitions import record_event, transition

logger = logging.getLogger(__name__)

# What jobs.seed (a signed BIGINT) can hold; a tool's own limit is the catalog's MAX_SEED.
SEED_COLUMN_MAX = 2**63 - 1
JOB_FIELDS = frozenset(
    {
        "id",
        "user_id",
        "tool",
        "prompt",
        "negative_prompt",
        "params",
        "seed",
        "model",
        "aspect_ratio",
        "batch_size",
        "idempotency_key",
        "max_attempts",
    }
)
# Values go as parameters, not `.values(**row)`: one cached statement for every submit.
_INSERT_JOB = sa.insert(jobs)


class JobRepository:
    """Jobs in SQL for their owners: create, read, cancel, favourite, delete."""

    def __init__(self, engine: Engine, default_max_attempts: int = 3):
        self.engine = engine
        self.default_max_attempts = default_max_attempts
        self.attempts = JobAttempts(engine)  # the worker's writes, on the same engine
        self._seeded_owners: set[int] = set()  # owners known to have their counter rows

    # -- creating and reading -------------------------------------------------------------

    @rerun_deadlock_victims
    def create(
        self, job_fields: Mapping[str, Any], inputs: Mapping[str, str] | None = None
    ) -> tuple[dict, bool]:
        """Record a queued job with its input uploads ({slot: upload_id}); returns (job, created).

        With an `idempotency_key`, the same key and user return the existing job and False.
        """
        unknown = set(job_fields) - JOB_FIELDS
        if unknown:
            raise TypeError(f"unknown job fields: {sorted(unknown)}")
        user_id, key = job_fields["user_id"], job_fields.get("idempotency_key")
        seed = job_fields.get("seed")
        if seed is not None and not (isinstance(seed, int) and 0 <= seed <= SEED_COLUMN_MAX):
            raise InvalidInput(
                f"seed must be an integer between 0 and {SEED_COLUMN_MAX}", field="seed"
            )
        now = utcnow()
        row = {"prompt": "", "params": {}, "batch_size": 1, **job_fields}
        row.setdefault("id", str(uuid.uuid4()))
        row.setdefault("max_attempts", self.default_max_attempts)
        queued = JobStatus.QUEUED.value
        row.update(
            status=queued, attempt=0, progress=0, favorite=False, created_at=now, updated_at=now
        )
        try:
            self._seed_owner(user_id)
            with _write(self.engine) as conn:
                if key:
                    existing = self._by_key(conn, user_id, key)
                    if existing:
                        return load_job(conn, existing), False
                conn.execute(_INSERT_JOB, row)
                attached = self._attach_inputs(conn, row["id"], user_id, inputs or {})
                record_event(conn, row["id"], user_id, 0, "created", old=None, new=queued)
                # Built from what was just written: re-reading it would cost three queries.
                job = inserted_job(row, attached)
        except IntegrityError:
            # A concurrent request with the same key won the race: answer with its job.
            if not key:
                raise
            with self.engine.connect() as conn:
                existing = self._by_key(conn, user_id, key)
                if not existing:
                    raise
                return load_job(conn, existing), False
        logger.info("job recorded job=%s user=%s tool=%s", row["id"], user_id, row["tool"])
        return job, True

    def find_by_idempotency_key(self, user_id: int, key: str) -> dict | None:
        """The user's job submitted with this Idempotency-Key, or None."""
        with self.engine.connect() as conn:
            existing = self._by_key(conn, user_id, key)
            return load_job(conn, existing) if existing else None

    def _seed_owner(self, user_id: int) -> None:
        """Create the owner's counter rows before its first job (once per process)."""
        if user_id not in self._seeded_owners:
            seed_owner(self.engine, user_id)
            self._seeded_owners.add(user_id)

    @staticmethod
    def _by_key(conn: Connection, user_id: int, key: str) -> str | None:
        return conn.execute(
            sa.select(jobs.c.id).where(jobs.c.user_id == user_id, jobs.c.idempotency_key == key)
        ).scalar()

    @staticmethod
    def _attach_inputs(
        conn: Connection, job_id: str, user_id: int, inputs: Mapping[str, str]
    ) -> list[dict]:
        """Link the uploads to the job; returns the inputs as `load_job` lists them."""
        attached = []
        for slot, upload_id in inputs.items():
            upload = conn.execute(
                sa.select(uploads.c.path).where(
                    uploads.c.id == upload_id, uploads.c.user_id == user_id
                )
            ).first()
            if upload is None:
                raise InvalidInput(f"upload {upload_id!r} not found", field=f"images.{slot}")
            conn.execute(
                sa.insert(job_inputs).values(
                    job_id=job_id, slot=slot, upload_id=upload_id, path=upload.path
                )
            )
            conn.execute(
                sa.update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.used_by_job.is_(None))
                .values(used_by_job=job_id)
            )
            attached.append({"slot": slot, "upload_id": upload_id, "path": upload.path})
        return attached

    def get(self, job_id: str, user_id: int | None = None) -> dict:
        """The job with its inputs and outputs; JobNotFound if missing, deleted or not theirs."""
        with self.engine.connect() as conn:
            return load_visible_job(conn, job_id, user_id)

    def list(
        self,
        user_id: int | None,
        *,
        status: str | None = None,
        tool: str | None = None,
        q: str | None = None,
        favorite: bool | None = None,
        active: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[dict]]:
        """(real total, page of jobs newest first); user_id None lists everyone's (admin)."""
        with self.engine.connect() as conn:
            return list_jobs(
                conn,
                user_id,
                status=status,
                tool=tool,
                q=q,
                favorite=favorite,
                active=active,
                limit=limit,
                offset=offset,
            )

    def events(self, job_id: str) -> list[dict]:
        """Every recorded transition of a job, oldest first."""
        with self.engine.connect() as conn:
            return events_of(conn, job_id)

    def active_jobs(self, user_id: int | None = None) -> list[dict]:
        """{id, user_id, status, attempt} of every queued/processing job (of `user_id` when
        given), oldest first."""
        with self.engine.connect() as conn:
            return active_jobs(conn, user_id)

    def counts_by_status(self, user_id: int | None = None) -> dict[str, int]:
        """{status: count} over non-deleted jobs, every status present (from the counters)."""
        with self.engine.connect() as conn:
            return read_counts(conn, user_id)

    # -- the user's writes ----------------------------------------------------------------

    @rerun_deadlock_victims
    def cancel(self, job_id: str, user_id: int | None) -> tuple[dict, str]:
        """Cancel a queued/processing job (idempotent); returns (job, previous status).

        user_id None acts as an admin. Raises JobNotFound, or Conflict for finished/failed.
        """
        now = utcnow()
        with _write(self.engine) as conn:
            visible = visible_clause(job_id, user_id)
            values = {"finished_at": now, "updated_at": now}
            moved = transition(
                conn, job_id, visible, JobStatus.CANCELLED, values, "cancelled by user"
            )
            if moved:
                logger.info("job cancelled job=%s was=%s", job_id, moved[0])
                return load_job(conn, job_id), moved[0]
            status = conn.execute(sa.select(jobs.c.status).where(visible)).scalar()
            if status is None:
                raise JobNotFound(f"job {job_id} not found")
            if status != JobStatus.CANCELLED.value:
                raise Conflict(f"job is already {status}")
            return load_job(conn, job_id), status

    @rerun_deadlock_victims
    def set_favorite(self, job_id: str, user_id: int | None, favorite: bool) -> dict:
        """Mark or unmark a job as favourite (kept past retention); returns the job."""
        with _write(self.engine) as conn:
            if not conn.execute(
                sa.update(jobs)
                .where(visible_clause(job_id, user_id))
                .values(favorite=bool(favorite), updated_at=utcnow())
            ).rowcount:
                raise JobNotFound(f"job {job_id} not found")
            return load_job(conn, job_id)

    @rerun_deadlock_victims
    def soft_delete(self, job_id: str, user_id: int | None) -> list[str]:
        """Hide a terminal job; returns storage-relative files to delete after the commit."""
        with _write(self.engine) as conn:
            row = conn.execute(
                sa.select(jobs.c.user_id, jobs.c.status, jobs.c.attempt).where(
                    visible_clause(job_id, user_id)
                )
            ).first()
            if row is None:
                raise JobNotFound(f"job {job_id} not found")
            if row.status in ACTIVE:
                raise Conflict("cancel the job before deleting it")
            files = mark_deleted(conn, job_id, tuple(row), utcnow(), "deleted by user")
            if files is None:
                raise JobNotFound(f"job {job_id} not found")  # deleted meanwhile by another request
            return files


def mark_deleted(
    conn: Connection,
    job_id: str,
    owner: tuple[int, str, int],
    now: datetime,
    detail: str,
    pending: CountDeltas | None = None,
) -> list[str] | None:
    """Soft-delete one job read as owner=(user_id, status, attempt), with its unshared uploads.

    Returns its files to remove, or None when the row no longer matches (a concurrent delete
    won): the UPDATE is conditional so the job leaves the counters exactly once. The status
    does not change (a deleted job leaves the counters instead), so this is no transition.
    """
    user_id, status, attempt = owner
    if not conn.execute(
        sa.update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status == status, jobs.c.deleted_at.is_(None))
        .values(deleted_at=now, updated_at=now)
    ).rowcount:
        return None
    files = job_files(conn, job_id)
    gone_inputs = [f for f in files if f.startswith("uploads/")]
    if gone_inputs:
        conn.execute(sa.delete(uploads).where(uploads.c.path.in_(gone_inputs)))
    record_event(conn, job_id, user_id, attempt, detail, old=status, new=None, pending=pending)
    return files
