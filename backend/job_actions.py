"""What a user does to their jobs: list, show, cancel, favourite, delete, watch the preview.

Plain functions over the app's services: no `request`, no `g`. Each answers with the job as
the API shows it (backend.presenter) and tells open pages through the event bus.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from redis.exceptions import RedisError

from backend.presenter import JobPresenter
from backend.services import Studio
from studio_core.errors import Conflict, JobNotFound, NotFound
from studio_core.images import sniff_format
from studio_core.jobs.public import to_public
from studio_core.jobs.states import ACTIVE, JobStatus

logger = logging.getLogger(__name__)

_CANCEL_FLAG_TTL = 86400
_PREVIEW_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def _presenter(studio: Studio) -> JobPresenter:
    return JobPresenter(studio.live, studio.queue)


def jobs_page(studio: Studio, user_id: int | None, filters: Mapping[str, Any]) -> dict:
    """`{total, limit, offset, jobs}` for the user's jobs matching validated filters."""
    presenter = _presenter(studio)
    floor = presenter.floor()
    total, rows = studio.repo.list(user_id, **filters)
    return {
        "total": total,
        "limit": filters["limit"],
        "offset": filters["offset"],
        "jobs": presenter.many(rows, floor),
    }


def show_job(studio: Studio, job_id: str, user_id: int | None) -> dict:
    """One of the user's jobs with its live state and a seq its row is at least as new as."""
    presenter = _presenter(studio)
    states = presenter.states([job_id])  # before the row: see JobPresenter
    return presenter.one(studio.repo.get(job_id, user_id), states=states)


def cancel_job(studio: Studio, job_id: str, user_id: int | None) -> dict:
    """Cancel a queued or running job (idempotent); Conflict if it already finished or failed."""
    job, previous = studio.repo.cancel(job_id, user_id)
    if previous == JobStatus.QUEUED:
        # Never reaches a worker: out of the queue at once.
        studio.queue.remove(job_id)
    # Always flag it: a worker holding it interrupts or deletes its ComfyUI prompt.
    studio.queue.request_cancel(job_id, _CANCEL_FLAG_TTL)
    if previous != JobStatus.CANCELLED:
        seq = studio.live.update(job_id, status=JobStatus.CANCELLED.value, queue_position=None)
        studio.events.publish_job(job["user_id"], to_public(job, live={"seq": seq}))
    logger.info("cancel job=%s was=%s", job_id, previous)
    return {"job_id": job_id, "status": job["status"]}


def cancel_all_jobs(studio: Studio, user_id: int | None) -> dict:
    """Cancel every queued or running job of `user_id` (None: everyone's, for an admin's
    explicit request), each as `cancel_job` does; `{"cancelled": [ids]}`, oldest first.

    A job that ends or is deleted while the list is worked through is left as it is.
    """
    cancelled = []
    for job in studio.repo.active_jobs(user_id):
        try:
            cancel_job(studio, job["id"], user_id)
        except (Conflict, JobNotFound):
            continue  # it finished, failed or went meanwhile: nothing left to cancel
        cancelled.append(job["id"])
    logger.info("cancel all user=%s jobs=%s", user_id, len(cancelled))
    return {"cancelled": cancelled}


def favorite_job(studio: Studio, job_id: str, user_id: int | None, favorite: bool) -> dict:
    """Mark or unmark a job as favourite; bumps its seq so pages take the change, and tells them."""
    presenter = _presenter(studio)
    floor = presenter.floor()
    job = studio.repo.set_favorite(job_id, user_id, favorite)
    try:
        if job["status"] in ACTIVE:
            # The worker owns the status of an active job: only the version moves.
            studio.live.update(job_id)
            public = presenter.one(job, floor)
        else:
            # A finished row is final but for this flag: it is as new as the seq written now.
            seq = studio.live.update(job_id, status=job["status"])
            public = to_public(job, live={"seq": seq})
        studio.events.publish_job(job["user_id"], public)
    except RedisError as exc:
        logger.warning("favourite not published job=%s error=%s", job_id, exc)
        public = presenter.one(job, floor)
    return public


def delete_job(studio: Studio, job_id: str, user_id: int | None) -> int:
    """Soft-delete a finished job and remove its files; returns how many files went."""
    files = studio.repo.soft_delete(job_id, user_id)
    removed = studio.paths.remove(files)
    try:
        studio.live.delete(job_id)
    except RedisError as exc:
        logger.warning("live state not cleared job=%s error=%s", job_id, exc)
    logger.info("job deleted job=%s files=%s", job_id, removed)
    return removed


def preview_frame(studio: Studio, job_id: str, user_id: int | None) -> tuple[bytes, str]:
    """(latest preview frame, its MIME type) of the user's running job; NotFound otherwise."""
    job = studio.repo.get(job_id, user_id)
    frame = studio.live.get_preview(job_id) if job["status"] == JobStatus.PROCESSING else None
    if not frame:
        raise NotFound("no preview for this job")
    return frame, _PREVIEW_TYPES.get(sniff_format(frame) or "", "application/octet-stream")
