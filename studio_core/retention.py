"""Retention: unused uploads [24 h], outputs [30 days] unless favourited, deleted jobs' files.

Runs from the worker on a schedule or as `python -m studio_core.retention`, never in a request.
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from studio_core.db.engine import write_transaction
from studio_core.db.tables import job_inputs, jobs, uploads
from studio_core.jobs.counts import CountDeltas, apply_deltas
from studio_core.jobs.queries import job_files
from studio_core.jobs.repo import mark_deleted
from studio_core.jobs.states import TERMINAL
from studio_core.jobs.transitions import status_in
from studio_core.storage import StoragePaths

logger = logging.getLogger(__name__)

# Files of jobs deleted this recently are re-removed on each sweep, which cleans up after a
# process that died between committing a delete and unlinking the files.
DELETED_RECHECK = timedelta(days=7)
STALE_TMP_S = 3600
BATCH = 500


def _sweep_uploads(engine: Engine, cutoff: datetime) -> list[str]:
    referenced = sa.select(job_inputs.c.upload_id).where(job_inputs.c.upload_id == uploads.c.id)
    with write_transaction(engine) as conn:
        rows = conn.execute(
            sa.select(uploads.c.id, uploads.c.path)
            .where(
                uploads.c.used_by_job.is_(None), uploads.c.created_at < cutoff, ~referenced.exists()
            )
            .limit(BATCH)
        ).all()
        if rows:
            conn.execute(sa.delete(uploads).where(uploads.c.id.in_([r.id for r in rows])))
    return [r.path for r in rows]


def _sweep_outputs(engine: Engine, cutoff: datetime, now: datetime) -> tuple[int, int, list[str]]:
    """One batch: (rows selected, jobs deleted, their files)."""
    files: list[str] = []
    removed = 0
    # Counter changes are applied once after every row: holding a counter row while
    # waiting on the next job row could deadlock with a user deleting that job.
    pending = CountDeltas()
    with write_transaction(engine) as conn:
        rows = conn.execute(
            sa.select(jobs.c.id, jobs.c.user_id, jobs.c.status, jobs.c.attempt)
            .where(
                jobs.c.deleted_at.is_(None),
                jobs.c.favorite.is_(sa.false()),
                status_in(TERMINAL),
                sa.func.coalesce(jobs.c.finished_at, jobs.c.created_at) < cutoff,
            )
            .limit(BATCH)
        ).all()
        for row in rows:
            gone = mark_deleted(
                conn,
                row.id,
                (row.user_id, row.status, row.attempt),
                now,
                "removed by retention",
                pending,
            )
            if gone is not None:  # None: the user deleted it meanwhile
                removed += 1
                files += gone
        apply_deltas(conn, pending)
    return len(rows), removed, files


def _recently_deleted_files(engine: Engine, now: datetime) -> list[str]:
    files: list[str] = []
    with engine.connect() as conn:
        ids = conn.execute(
            sa.select(jobs.c.id).where(
                jobs.c.deleted_at.is_not(None), jobs.c.deleted_at >= now - DELETED_RECHECK
            )
        ).scalars()
        for job_id in list(ids):
            files += job_files(conn, job_id)
    return files


def _stale_tmp_files(paths: StoragePaths) -> list[str]:
    """Leftovers of interrupted atomic writes (`.<name>.<hex>.tmp`)."""
    limit = time.time() - STALE_TMP_S
    found = []
    for directory in (paths.uploads, paths.outputs, paths.thumbs):
        if directory.is_dir():
            found += [
                str(p.relative_to(paths.root))
                for p in directory.glob(".*.tmp")
                if p.stat().st_mtime < limit
            ]
    return found


def retention_sweep(
    engine: Engine, paths: StoragePaths, now: datetime, upload_hours: int, output_days: int
) -> dict[str, int]:
    """Apply retention once; returns counts {uploads, jobs, files}."""
    uploads_gone: list[str] = []
    while batch := _sweep_uploads(engine, now - timedelta(hours=upload_hours)):
        uploads_gone += batch  # batches keep each write transaction short
        if len(batch) < BATCH:
            break
    jobs_gone, output_files = 0, []
    while True:
        selected, count, batch = _sweep_outputs(engine, now - timedelta(days=output_days), now)
        jobs_gone, output_files = jobs_gone + count, output_files + batch
        if selected < BATCH:
            break
    # The DB commits come first: a crash after them leaves files the next sweep removes.
    files = uploads_gone + output_files + _recently_deleted_files(engine, now)
    removed = paths.remove(sorted(set(files)) + _stale_tmp_files(paths))
    counts = {"uploads": len(uploads_gone), "jobs": jobs_gone, "files": removed}
    logger.info("retention swept uploads=%s jobs=%s files=%s", *counts.values())
    return counts


def main(argv: list[str] | None = None) -> int:
    """CLI: run one retention sweep with the configured limits."""
    from studio_core.config import load_settings
    from studio_core.db.engine import make_engine
    from studio_core.db.migrate import is_up_to_date
    from studio_core.db.utc import utcnow
    from studio_core.logging_setup import configure_logging

    parser = argparse.ArgumentParser(
        prog="python -m studio_core.retention",
        description="Delete expired uploads and outputs once.",
    )
    parser.parse_args(argv)
    settings = load_settings()
    configure_logging("retention", settings.log_dir)
    engine = make_engine(settings.database_url, timeout_s=settings.db_timeout_s)
    try:
        if not is_up_to_date(engine):
            logger.error("database schema is not up to date; run the migrations first")
            return 2
        retention_sweep(
            engine,
            StoragePaths(settings.storage_dir).ensure(),
            utcnow(),
            settings.upload_retention_h,
            settings.output_retention_days,
        )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    # Run the imported module's copy so log lines name `studio_core.retention`, not __main__.
    from studio_core.retention import main as _main

    raise SystemExit(_main())
