"""Jobs: submit, status, cancel, list (jobs + the original's history), get, delete, favourite."""

from __future__ import annotations

from flask import Blueprint, Response, request

from backend.api.common import job_filters, json_object
from backend.auth import current_user_id
from backend.job_views import (
    JobPresenter,
    cancel_job,
    delete_job,
    favorite_job,
    list_jobs,
    show_job,
)
from backend.services import studio
from backend.submit import check_idempotency_key, parse_body, submit_job
from studio_core.errors import InvalidInput, NotFound, UnsupportedMediaType
from studio_core.jobs.states import JobStatus
from studio_core.storage import sniff_format

bp = Blueprint("jobs", __name__, url_prefix="/api")

_PREVIEW_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def _presenter() -> JobPresenter:
    s = studio()
    return JobPresenter(s.live, s.queue)


@bp.post("/generate")
def generate():
    """Queue a job (JSON or multipart); 202 with the job."""
    key = check_idempotency_key(request.headers.get("Idempotency-Key"))
    if request.mimetype == "multipart/form-data":
        form = request.form.to_dict()
        files = {slot: part.read() for slot, part in request.files.items()}
        submission = parse_body(form, files, key)
    elif request.is_json:
        submission = parse_body(json_object(), None, key)
    else:
        raise UnsupportedMediaType("send application/json or multipart/form-data")
    job, _created = submit_job(studio(), current_user_id(), submission)
    return {"job_id": job["job_id"], "status": job["status"], "seed": job["seed"], "job": job}, 202


@bp.get("/status/<job_id>")
def status(job_id: str):
    """The job with live progress and queue position (the original studio's endpoint)."""
    return show_job(studio().repo, _presenter(), job_id, current_user_id())


@bp.post("/cancel/<job_id>")
def cancel(job_id: str):
    """Cancel a queued or running job; idempotent."""
    s = studio()
    return cancel_job(s.repo, s.queue, s.live, s.events, _presenter(), job_id, current_user_id())


@bp.get("/jobs")
def jobs():
    """My jobs, newest first, filtered, with the real total."""
    return list_jobs(studio().repo, _presenter(), current_user_id(), job_filters(request.args))


@bp.get("/history")
def history():
    """Same as /api/jobs (the original studio's endpoint)."""
    return list_jobs(studio().repo, _presenter(), current_user_id(), job_filters(request.args))


@bp.get("/jobs/<job_id>")
def get_job(job_id: str):
    """One of my jobs."""
    return show_job(studio().repo, _presenter(), job_id, current_user_id())


@bp.delete("/jobs/<job_id>")
def delete(job_id: str):
    """Remove a finished job from the gallery and delete its files; 409 while active."""
    s = studio()
    delete_job(s.repo, s.paths, s.live, job_id, current_user_id())
    return Response(status=204)


@bp.post("/jobs/<job_id>/favorite")
def favorite(job_id: str):
    """Mark or unmark a job as favourite."""
    body = json_object()
    value = body.get("favorite", True)
    if not isinstance(value, bool):
        raise InvalidInput("'favorite' must be true or false", field="favorite")
    s = studio()
    return favorite_job(s.repo, s.live, s.events, _presenter(), job_id, current_user_id(), value)


@bp.get("/jobs/<job_id>/preview")
def preview(job_id: str):
    """The latest live preview frame of my running job."""
    s = studio()
    job = s.repo.get(job_id, current_user_id())
    frame = s.live.get_preview(job_id) if job["status"] == JobStatus.PROCESSING else None
    if not frame:
        raise NotFound("no preview for this job")
    mime = _PREVIEW_TYPES.get(sniff_format(frame) or "", "application/octet-stream")
    return Response(frame, mimetype=mime, headers={"Cache-Control": "no-store"})
