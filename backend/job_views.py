"""Jobs as the API shows them, and the user's actions on them (cancel, delete, favourite).

Plain functions over explicit services: no `request`, no `g`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from redis.exceptions import RedisError

from studio_core.events import EventBus
from studio_core.jobs import JobRepository, JobStatus, to_public
from studio_core.live import LiveState
from studio_core.queue import JobQueue
from studio_core.storage import StoragePaths

logger = logging.getLogger(__name__)

_CANCEL_FLAG_TTL = 86400


def upload_url(upload_id: str) -> str:
    """Where the owner can fetch an upload."""
    return f"/api/uploads/{upload_id}"


def preview_url(job_id: str, version: Any) -> str:
    """URL of a running job's latest preview frame; `version` changes it per frame."""
    return f"/api/jobs/{job_id}/preview?v={version}"


def shape(public: Mapping[str, Any], has_preview: bool = False) -> dict:
    """Finish a `to_public` dict for docs/API.md: input URLs and the preview URL.

    Also applied to jobs that workers publish on the bus, so SSE and HTTP agree.
    """
    job = dict(public)
    inputs = {}
    for slot, ref in (job.get("inputs") or {}).items():
        upload_id = ref.get("upload_id") if isinstance(ref, Mapping) else ref
        inputs[slot] = {"upload_id": upload_id, "url": upload_url(upload_id) if upload_id else None}
    job["inputs"] = inputs
    if job.get("status") == JobStatus.PROCESSING and has_preview:
        job["preview_url"] = preview_url(job["job_id"], job.get("progress", 0))
    else:
        job.setdefault("preview_url", None)
        if job.get("status") != JobStatus.PROCESSING:
            job["preview_url"] = None
    return job


class JobPresenter:
    """Merges SQL rows with live Redis state (progress, node, queue position, preview)."""

    def __init__(self, live: LiveState, queue: JobQueue):
        self.live = live
        self.queue = queue

    def one(self, job: Mapping[str, Any]) -> dict:
        """One job with its live state."""
        return self.many([job])[0]

    def new(self, job: Mapping[str, Any]) -> dict:
        """A job just recorded and enqueued: its live state is known, only its place is asked."""
        live = None
        try:
            ahead = self.queue.position(job["id"])
        except RedisError as exc:
            logger.warning("queue position unavailable job=%s error=%s", job["id"], exc)
            ahead = None
        if ahead is not None:
            live = {"queue_position": ahead + 1}  # 1 = next to run, as in `many`
        return shape(to_public(job, live=live))

    def many(self, jobs: list[Mapping[str, Any]]) -> list[dict]:
        """Several jobs; Redis is asked only about the active ones, in a few round trips."""
        active = [j["id"] for j in jobs if j["status"] in (JobStatus.QUEUED, JobStatus.PROCESSING)]
        live: dict[str, dict] = {}
        previews: set[str] = set()
        if active:
            try:
                live = self.live.get_many(active)
                queued = [j["id"] for j in jobs if j["status"] == JobStatus.QUEUED]
                for job_id in queued:
                    ahead = self.queue.position(job_id)
                    if ahead is not None:
                        # 1 = next to run (0 would read as "no position" in the UI)
                        live.setdefault(job_id, {})["queue_position"] = ahead + 1
                previews = self._with_preview(
                    [j["id"] for j in jobs if j["status"] == JobStatus.PROCESSING]
                )
            except RedisError as exc:
                # SQL is the truth; live details are a bonus that may be missing for a while.
                logger.warning("live state unavailable jobs=%s error=%s", len(active), exc)
        return [shape(to_public(j, live=live.get(j["id"])), j["id"] in previews) for j in jobs]

    def _with_preview(self, job_ids: list[str]) -> set[str]:
        if not job_ids:
            return set()
        pipe = self.live.redis.pipeline(transaction=False)
        for job_id in job_ids:
            # key layout documented in studio_core.live: job:<id>:preview
            pipe.exists(f"{self.live.prefix}job:{job_id}:preview")
        return {job_id for job_id, n in zip(job_ids, pipe.execute(), strict=True) if n}


def list_jobs(
    repo: JobRepository, presenter: JobPresenter, user_id: int | None, filters: Mapping[str, Any]
) -> dict:
    """`{total, limit, offset, jobs}` for the user's jobs matching validated filters."""
    total, rows = repo.list(user_id, **filters)
    return {
        "total": total,
        "limit": filters["limit"],
        "offset": filters["offset"],
        "jobs": presenter.many(rows),
    }


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
        live.update(job_id, status=JobStatus.CANCELLED.value, queue_position=None)
        public = presenter.one(job)
        events.publish_job(job["user_id"], public)
    logger.info("cancel job=%s was=%s", job_id, previous)
    return {"job_id": job_id, "status": job["status"]}


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
