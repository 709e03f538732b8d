"""Jobs as the API shows them, and the user's actions on them (cancel, delete, favourite).

Plain functions over explicit services: no `request`, no `g`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from redis.exceptions import RedisError

from studio_core.events import EventBus
from studio_core.jobs.public import to_public
from studio_core.jobs.repo import JobRepository
from studio_core.jobs.states import ACTIVE, JobStatus
from studio_core.live import LiveState
from studio_core.queue import JobQueue
from studio_core.storage import StoragePaths

logger = logging.getLogger(__name__)

_CANCEL_FLAG_TTL = 86400


class JobPresenter:
    """Merges SQL rows with live Redis state (progress, node, queue position, preview, seq).

    Ordering (docs/API.md `seq`): writers change SQL first and live state second, so a row
    read from SQL can be older than the live seq read after it. So a reader either reads the
    live state before the row (`states()`, when it knows the ids), or takes `floor()` before
    the row and reports, for an active job, at most `floor - 1`: every live write below that
    seq happened before the SQL read. Either way the row is at least as new as its seq.
    """

    def __init__(self, live: LiveState, queue: JobQueue):
        self.live = live
        self.queue = queue

    def floor(self) -> int | None:
        """Take before reading rows from SQL; None when Redis does not answer."""
        try:
            return self.live.seq_floor()
        except RedisError as exc:
            logger.warning("live clock unavailable error=%s", exc)
            return None

    def states(self, job_ids: list[str]) -> dict[str, dict]:
        """Live states to read before the rows (for `many(states=...)`); {} without Redis."""
        try:
            return self.live.get_many(job_ids)
        except RedisError as exc:
            logger.warning("live state unavailable jobs=%s error=%s", len(job_ids), exc)
            return {}

    def one(
        self, job: Mapping[str, Any], floor: int | None = None, states: dict | None = None
    ) -> dict:
        """One job with its live state; `floor` or `states` as taken before the row was read."""
        return self.many([job], floor, states)[0]

    def new(self, job: Mapping[str, Any], seq: int) -> dict:
        """A job just recorded and enqueued: its live state (`seq`) is known, only its place is asked."""
        live: dict[str, Any] = {"seq": seq}
        try:
            ahead = self.queue.position(job["id"])
        except RedisError as exc:
            logger.warning("queue position unavailable job=%s error=%s", job["id"], exc)
            ahead = None
        if ahead is not None:
            live["queue_position"] = ahead + 1  # 1 = next to run, as in `many`
        return to_public(job, live=live)

    def many(
        self,
        jobs: list[Mapping[str, Any]],
        floor: int | None = None,
        states: dict[str, dict] | None = None,
    ) -> list[dict]:
        """Several jobs in a few Redis round trips; `floor` or `states` taken before the rows.

        Without either, an active job shows seq 0 (unordered: a page keeps what it has).
        A finished job's row cannot be older than anything, so it shows its live seq as is.
        """
        live: dict[str, dict] = {k: dict(v) for k, v in (states or {}).items()}
        previews: set[str] = set()
        if jobs:
            try:
                if states is None:
                    live = self.live.get_many([j["id"] for j in jobs])
                    self._cap(jobs, live, floor)
                queued = [j["id"] for j in jobs if j["status"] == JobStatus.QUEUED]
                for job_id in queued:
                    ahead = self.queue.position(job_id)
                    if ahead is not None:
                        # 1 = next to run (0 would read as "no position" in the UI)
                        live.setdefault(job_id, {})["queue_position"] = ahead + 1
                previews = self.live.with_preview(
                    [j["id"] for j in jobs if j["status"] == JobStatus.PROCESSING]
                )
            except RedisError as exc:
                # SQL is the truth; live details are a bonus that may be missing for a while.
                logger.warning("live state unavailable jobs=%s error=%s", len(jobs), exc)
        return [to_public(j, live=live.get(j["id"]), has_preview=j["id"] in previews) for j in jobs]

    @staticmethod
    def _cap(jobs: list[Mapping[str, Any]], live: dict[str, dict], floor: int | None) -> None:
        """Lower the seq of active jobs read after their rows to what the rows surely include."""
        for job in jobs:
            state = live.get(job["id"])
            if state and job["status"] in ACTIVE:
                seq = state.get("seq") or 0
                state["seq"] = min(seq, floor - 1) if floor is not None else 0


def list_jobs(
    repo: JobRepository, presenter: JobPresenter, user_id: int | None, filters: Mapping[str, Any]
) -> dict:
    """`{total, limit, offset, jobs}` for the user's jobs matching validated filters."""
    floor = presenter.floor()
    total, rows = repo.list(user_id, **filters)
    return {
        "total": total,
        "limit": filters["limit"],
        "offset": filters["offset"],
        "jobs": presenter.many(rows, floor),
    }


def show_job(
    repo: JobRepository, presenter: JobPresenter, job_id: str, user_id: int | None
) -> dict:
    """One of the user's jobs with its live state and a seq its row is at least as new as."""
    states = presenter.states([job_id])  # before the row: see JobPresenter
    return presenter.one(repo.get(job_id, user_id), states=states)


def cancel_job(
    repo: JobRepository,
    queue: JobQueue,
    live: LiveState,
    events: EventBus,
    presenter: JobPresenter,
    job_id: str,
    user_id: int | None,
) -> dict:
    """Cancel a queued or running job (idempotent); Conflict if it already finished or failed."""
    job, previous = repo.cancel(job_id, user_id)
    if previous == JobStatus.QUEUED:
        # Never reaches a worker: out of the queue at once.
        queue.remove(job_id)
    # Always flag it: a worker holding it interrupts or deletes its ComfyUI prompt.
    queue.request_cancel(job_id, _CANCEL_FLAG_TTL)
    if previous != JobStatus.CANCELLED:
        seq = live.update(job_id, status=JobStatus.CANCELLED.value, queue_position=None)
        events.publish_job(job["user_id"], to_public(job, live={"seq": seq}))
    logger.info("cancel job=%s was=%s", job_id, previous)
    return {"job_id": job_id, "status": job["status"]}


def favorite_job(
    repo: JobRepository,
    live: LiveState,
    events: EventBus,
    presenter: JobPresenter,
    job_id: str,
    user_id: int | None,
    favorite: bool,
) -> dict:
    """Mark or unmark a job as favourite; bumps its seq so pages take the change, and tells them."""
    floor = presenter.floor()
    job = repo.set_favorite(job_id, user_id, favorite)
    try:
        if job["status"] in ACTIVE:
            # The worker owns the status of an active job: only the version moves.
            live.update(job_id)
            public = presenter.one(job, floor)
        else:
            # A finished row is final but for this flag: it is as new as the seq written now.
            seq = live.update(job_id, status=job["status"])
            public = to_public(job, live={"seq": seq})
        events.publish_job(job["user_id"], public)
    except RedisError as exc:
        logger.warning("favourite not published job=%s error=%s", job_id, exc)
        public = presenter.one(job, floor)
    return public


def delete_job(
    repo: JobRepository,
    paths: StoragePaths,
    live: LiveState,
    job_id: str,
    user_id: int | None,
) -> int:
    """Soft-delete a finished job and remove its files; returns how many files went."""
    files = repo.soft_delete(job_id, user_id)
    removed = paths.remove(files)
    try:
        live.delete(job_id)
    except RedisError as exc:
        logger.warning("live state not cleared job=%s error=%s", job_id, exc)
    logger.info("job deleted job=%s files=%s", job_id, removed)
    return removed
