"""Jobs: submit, status, cancel, list (jobs + the original's history), get, delete, favourite."""

from __future__ import annotations

from flask import Blueprint, Response, request

from backend.api.common import bool_arg, job_filters, json_object, one_arg, one_file
from backend.auth import current_user_id, is_admin, owner_scope
from backend.job_actions import (
    cancel_all_jobs,
    cancel_job,
    delete_job,
    favorite_job,
    jobs_page,
    preview_frame,
    show_job,
)
from backend.services import studio
from backend.submit import check_idempotency_key, parse_body, submit_job
from studio_core.errors import InvalidInput, UnsupportedMediaType

bp = Blueprint("jobs", __name__, url_prefix="/api")


@bp.post("/generate")
def generate():
    """Queue a job (JSON or multipart); 202 with the job."""
    key = check_idempotency_key(request.headers.get("Idempotency-Key"))
    if request.mimetype == "multipart/form-data":
        form = {name: one_arg(request.form, name) or "" for name in request.form}
        # Not read here: save_upload reads each part once it holds an image-check slot.
        files = {slot: one_file(request.files, slot) for slot in request.files}
        submission = parse_body(form, files, key)
    elif request.is_json:
        submission = parse_body(json_object(), None, key)
    else:
        raise UnsupportedMediaType("send application/json or multipart/form-data")
    job, _created = submit_job(studio(), current_user_id(), submission)
    return {"job_id": job["job_id"], "status": job["status"], "seed": job["seed"], "job": job}, 202


@bp.get("/status/<job_id>")
def status(job_id: str):
    """The job with live progress and queue position (the original studio's endpoint).
    Another user's job is a 404 (an admin reaches every job) here and below."""
    return show_job(studio(), job_id, owner_scope())


@bp.post("/cancel/<job_id>")
def cancel(job_id: str):
    """Cancel a queued or running job; idempotent."""
    return cancel_job(studio(), job_id, owner_scope())


def _list_owner() -> int | None:
    # `?all=1`: an admin's "everyone" view; a plain user asking for it is told, not ignored.
    if not bool_arg(request.args, "all"):
        return current_user_id()
    if not is_admin():
        raise InvalidInput("'all' is for admins only", field="all")
    return None


@bp.post("/jobs/cancel-all")
def cancel_all():
    """Cancel all my queued and running jobs (an admin's `?all=1`: everyone's)."""
    return cancel_all_jobs(studio(), _list_owner())


@bp.get("/jobs")
def jobs():
    """My jobs (an admin's `?all=1`: everyone's), newest first, filtered, with the real total."""
    return jobs_page(studio(), _list_owner(), job_filters(request.args))


@bp.get("/history")
def history():
    """Same as /api/jobs (the original studio's endpoint)."""
    return jobs_page(studio(), _list_owner(), job_filters(request.args))


@bp.get("/jobs/<job_id>")
def get_job(job_id: str):
    """One of my jobs."""
    return show_job(studio(), job_id, owner_scope())


@bp.delete("/jobs/<job_id>")
def delete(job_id: str):
    """Remove a finished job from the gallery and delete its files; 409 while active."""
    delete_job(studio(), job_id, owner_scope())
    return Response(status=204)


@bp.post("/jobs/<job_id>/favorite")
def favorite(job_id: str):
    """Mark or unmark a job as favourite."""
    body = json_object()
    value = body.get("favorite", True)
    if not isinstance(value, bool):
        raise InvalidInput("'favorite' must be true or false", field="favorite")
    return favorite_job(studio(), job_id, owner_scope(), value)


@bp.get("/jobs/<job_id>/preview")
def preview(job_id: str):
    """The latest live preview frame of my running job."""
    frame, mime = preview_frame(studio(), job_id, owner_scope())
    return Response(frame, mimetype=mime, headers={"Cache-Control": "no-store"})
