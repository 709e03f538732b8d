"""The SQL job repository: every public method is one transaction (commit at the boundary).

Result writes are fenced on `jobs.attempt` so a worker presumed dead cannot overwrite a
newer attempt. Every state change also writes a `job_events` row and moves the status
counters (`job_counts`) in the same transaction.
Writes go first in each transaction (conditional UPDATEs) so concurrent workers and API
threads cannot interleave a read and a write.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from studio_core.db import job_events, job_inputs, jobs, uploads, utcnow
from studio_core.db import write_transaction as _write
from studio_core.errors import Conflict, InvalidInput, JobNotFound
from studio_core.job_counts import read_counts, seed_owner
from studio_core.job_queries import (
    inserted_job,
    list_jobs,
    load_job,
    load_visible_job,
    soft_delete_job,
    visible_clause,
)
from studio_core.job_states import ACTIVE, JobStatus
from studio_core.job_worker_writes import WorkerWrites, move, owner_and_attempt, record_event

logger = logging.getLogger(__name__)

SEED_MAX = 2**63 - 1  # jobs.seed is a signed BIGINT
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
_Q, _P = JobStatus.QUEUED.value, JobStatus.PROCESSING.value
# Values go as parameters, not `.values(**row)`: one cached statement for every submit.
_INSERT_JOB = sa.insert(jobs)
_ACTIVE = [s.value for s in ACTIVE]


class JobRepository(WorkerWrites):
    """Jobs in SQL: create, read, claim, finish, fail, cancel, favourite, delete."""

    def __init__(self, engine: Engine, default_max_attempts: int = 3):
        self.engine = engine
        self.default_max_attempts = default_max_attempts
        self._seeded_owners: set[int] = set()  # owners known to have their counter rows

    # -- creating and reading -------------------------------------------------------------

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
        if seed is not None and not (isinstance(seed, int) and 0 <= seed <= SEED_MAX):
            raise InvalidInput(f"seed must be an integer between 0 and {SEED_MAX}", field="seed")
        now = utcnow()
        row = {"prompt": "", "params": {}, "batch_size": 1, **job_fields}
        row.setdefault("id", str(uuid.uuid4()))
        row.setdefault("max_attempts", self.default_max_attempts)
        row.update(status=_Q, attempt=0, progress=0, favorite=False, created_at=now, updated_at=now)
        try:
            self._seed_owner(user_id)
            with _write(self.engine) as conn:
                if key:
                    existing = self._by_key(conn, user_id, key)
                    if existing:
                        return load_job(conn, existing), False
                conn.execute(_INSERT_JOB, row)
                attached = self._attach_inputs(conn, row["id"], user_id, inputs or {})
                record_event(conn, row["id"], user_id, 0, "created", old=None, new=_Q)
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
            rows = conn.execute(
                sa.select(job_events).where(job_events.c.job_id == job_id).order_by(job_events.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def active_jobs(self) -> list[dict]:
        """{id, user_id, status, attempt} of every queued/processing job, oldest first."""
        query = (
            sa.select(jobs.c.id, jobs.c.user_id, jobs.c.status, jobs.c.attempt)
            .where(jobs.c.status.in_(_ACTIVE), jobs.c.deleted_at.is_(None))
            .order_by(jobs.c.created_at, jobs.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def counts_by_status(self, user_id: int | None = None) -> dict[str, int]:
        """{status: count} over non-deleted jobs, every status present (from the counters)."""
        with self.engine.connect() as conn:
            return read_counts(conn, user_id)

    # -- the user's writes ----------------------------------------------------------------

    def cancel(self, job_id: str, user_id: int | None) -> tuple[dict, str]:
        """Cancel a queued/processing job (idempotent); returns (job, previous status).

        user_id None acts as an admin. Raises JobNotFound, or Conflict for finished/failed.
        """
        now = utcnow()
        with _write(self.engine) as conn:
            visible = visible_clause(job_id, user_id)
            previous = move(
                conn,
                visible,
                {"status": JobStatus.CANCELLED.value, "finished_at": now, "updated_at": now},
                (_Q, _P),
            )
            if previous:
                owner, attempt = owner_and_attempt(conn, job_id)
                record_event(
                    conn,
                    job_id,
                    owner,
                    attempt,
                    "cancelled by user",
                    old=previous,
                    new=JobStatus.CANCELLED.value,
                )
                logger.info("job cancelled job=%s was=%s", job_id, previous)
                return load_job(conn, job_id), previous
            status = conn.execute(sa.select(jobs.c.status).where(visible)).scalar()
            if status is None:
                raise JobNotFound(f"job {job_id} not found")
            if status != JobStatus.CANCELLED.value:
                raise Conflict(f"job is already {status}")
            return load_job(conn, job_id), status

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

    def soft_delete(self, job_id: str, user_id: int | None) -> list[str]:
        """Hide a terminal job; returns storage-relative files to delete after the commit."""
        with _write(self.engine) as conn:
            return soft_delete_job(conn, job_id, user_id, utcnow())
