"""Reads of jobs: loading them with their inputs/outputs, listing, events, files (no writes).

Functions take an open connection; the repository owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from studio_core.db.tables import job_events, job_inputs, job_outputs, jobs
from studio_core.errors import InvalidInput, JobNotFound
from studio_core.jobs.states import ACTIVE, JobStatus
from studio_core.jobs.transitions import status_in

MAX_PAGE = 200
_OUTPUT_COLUMNS = ("idx", "filename", "thumb_filename", "width", "height", "size_bytes")


def visible_clause(job_id: str, user_id: int | None):
    """WHERE for a non-deleted job owned by user_id (None: any owner, for admins)."""
    clause = sa.and_(jobs.c.id == job_id, jobs.c.deleted_at.is_(None))
    if user_id is not None:
        clause = sa.and_(clause, jobs.c.user_id == user_id)
    return clause


# Inputs and outputs of jobs in ONE round trip: a UNION ALL of both child tables, each
# row padded with NULLs to the other's columns and tagged by `kind`. The statement is built
# once; `job_ids` is an expanding parameter so the compiled form is cached too.
_CHILDREN = sa.union_all(
    sa.select(
        sa.literal_column("'i'").label("kind"),
        job_inputs.c.job_id,
        job_inputs.c.slot,
        job_inputs.c.upload_id,
        job_inputs.c.path,
        *(sa.null().label(c) for c in _OUTPUT_COLUMNS),
    ).where(job_inputs.c.job_id.in_(sa.bindparam("job_ids", expanding=True))),
    sa.select(
        sa.literal_column("'o'").label("kind"),
        job_outputs.c.job_id,
        sa.null().label("slot"),
        sa.null().label("upload_id"),
        sa.null().label("path"),
        *(job_outputs.c[c] for c in _OUTPUT_COLUMNS),
    ).where(job_outputs.c.job_id.in_(sa.bindparam("job_ids", expanding=True))),
)


def _attach(conn: Connection, rows: list[dict]) -> list[dict]:
    """Add `inputs` (by slot) and `outputs` (by idx) lists to job dicts with one query."""
    ids = [r["id"] for r in rows]
    if not ids:
        return rows
    ins: dict[str, list] = defaultdict(list)
    outs: dict[str, list] = defaultdict(list)
    for r in conn.execute(_CHILDREN, {"job_ids": ids}):
        if r.kind == "i":
            ins[r.job_id].append({"slot": r.slot, "upload_id": r.upload_id, "path": r.path})
        else:
            outs[r.job_id].append({c: getattr(r, c) for c in _OUTPUT_COLUMNS})
    for row in rows:
        row["inputs"] = sorted(ins[row["id"]], key=lambda i: i["slot"])
        row["outputs"] = sorted(outs[row["id"]], key=lambda o: o["idx"])
    return rows


def load_job(conn: Connection, job_id: str) -> dict:
    """The job row as a dict with `inputs` and `outputs`; JobNotFound if it does not exist."""
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise JobNotFound(f"job {job_id} not found")
    return _attach(conn, [dict(row._mapping)])[0]


_VISIBLE_JOB = sa.select(jobs).where(
    jobs.c.id == sa.bindparam("job_id"), jobs.c.deleted_at.is_(None)
)
_VISIBLE_OWN_JOB = _VISIBLE_JOB.where(jobs.c.user_id == sa.bindparam("user_id"))


def load_visible_job(conn: Connection, job_id: str, user_id: int | None) -> dict:
    """Like `load_job` for a non-deleted job of `user_id` (None: any owner), in two queries."""
    if user_id is None:
        row = conn.execute(_VISIBLE_JOB, {"job_id": job_id}).first()
    else:
        row = conn.execute(_VISIBLE_OWN_JOB, {"job_id": job_id, "user_id": user_id}).first()
    if row is None:
        raise JobNotFound(f"job {job_id} not found")
    return _attach(conn, [dict(row._mapping)])[0]


def inserted_job(row: Mapping[str, Any], inputs: list[dict]) -> dict:
    """The job dict `load_job` would return right after inserting `row` with `inputs`.

    Saves re-reading a row the caller just wrote: absent columns are NULL and a new job has
    no outputs yet.
    """
    job: dict[str, Any] = {c.name: None for c in jobs.c}
    job.update(row)
    job["inputs"] = sorted(inputs, key=lambda i: i["slot"])
    job["outputs"] = []
    return job


def list_jobs(
    conn: Connection,
    user_id: int | None,
    *,
    status: str | None,
    tool: str | None,
    q: str | None,
    favorite: bool | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> tuple[int, list[dict]]:
    """(total matching, one page newest first) of non-deleted jobs."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset must be >= 0", field="offset")
    where: list[Any] = [jobs.c.deleted_at.is_(None)]
    if user_id is not None:
        where.append(jobs.c.user_id == user_id)
    if status is not None:
        try:
            where.append(jobs.c.status == JobStatus(status).value)
        except ValueError:
            raise InvalidInput(f"unknown status {status!r}", field="status") from None
    if tool:
        where.append(jobs.c.tool == tool)
    if q:
        # Case-insensitive substring; autoescape makes % and _ in the search literal.
        where.append(sa.func.lower(jobs.c.prompt).contains(q.strip().lower(), autoescape=True))
    if favorite is not None:
        where.append(
            jobs.c.favorite.is_(sa.true()) if favorite else jobs.c.favorite.is_(sa.false())
        )
    if active is not None:
        where.append(status_in(ACTIVE) if active else ~status_in(ACTIVE))
    total = conn.execute(sa.select(sa.func.count()).select_from(jobs).where(*where)).scalar_one()
    page = conn.execute(
        sa.select(jobs)
        .where(*where)
        .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, _attach(conn, [dict(r._mapping) for r in page])


def job_files(conn: Connection, job_id: str) -> list[str]:
    """Storage-relative files of a job: outputs, thumbnails, and inputs no live job shares."""
    files: list[str] = []
    for r in conn.execute(
        sa.select(job_outputs.c.filename, job_outputs.c.thumb_filename).where(
            job_outputs.c.job_id == job_id
        )
    ):
        files += [f"outputs/{r.filename}", f"outputs/thumbs/{r.thumb_filename}"]
    paths = [
        r.path
        for r in conn.execute(sa.select(job_inputs.c.path).where(job_inputs.c.job_id == job_id))
    ]
    if paths:
        # A remix reuses the same upload: keep it while another live job refers to it.
        shared = set(
            conn.execute(
                sa.select(job_inputs.c.path)
                .join(jobs, jobs.c.id == job_inputs.c.job_id)
                .where(
                    job_inputs.c.path.in_(paths),
                    job_inputs.c.job_id != job_id,
                    jobs.c.deleted_at.is_(None),
                )
            ).scalars()
        )
        files += [p for p in paths if p not in shared]
    return files


def events_of(conn: Connection, job_id: str) -> list[dict]:
    """Every recorded transition of a job, oldest first."""
    rows = conn.execute(
        sa.select(job_events).where(job_events.c.job_id == job_id).order_by(job_events.c.id)
    )
    return [dict(r._mapping) for r in rows]


def active_jobs(conn: Connection, user_id: int | None = None) -> list[dict]:
    """{id, user_id, status, attempt} of every queued/processing job (of `user_id` when
    given), oldest first."""
    query = (
        sa.select(jobs.c.id, jobs.c.user_id, jobs.c.status, jobs.c.attempt)
        .where(status_in(ACTIVE), jobs.c.deleted_at.is_(None))
        .order_by(jobs.c.created_at, jobs.c.id)
    )
    if user_id is not None:
        query = query.where(jobs.c.user_id == user_id)
    return [dict(r._mapping) for r in conn.execute(query)]
