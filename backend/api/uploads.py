"""Uploads: a checked image (kept as sent when clean) a job can reference by id."""

from __future__ import annotations

from flask import Blueprint, request, send_file

from backend.api.common import one_file
from backend.auth import current_user_id, owner_scope
from backend.services import studio
from studio_core.errors import NotFound, UnsupportedMediaType
from studio_core.jobs.public import upload_url
from studio_core.uploads import get_upload, save_upload

bp = Blueprint("uploads", __name__, url_prefix="/api/uploads")


@bp.post("")
def create():
    """Store the multipart `file` part; 201 with its id and size."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("send the image as multipart/form-data with a 'file' part")
    part = one_file(request.files, "file")
    s = studio()
    row = save_upload(
        s.db,
        s.paths,
        current_user_id(),
        part,  # read once a decode slot is free (studio_core.uploads.UploadSlots)
        s.settings,
        min_free_bytes=s.settings.storage_min_free_bytes,
        slots=s.upload_slots,
    )
    body = {
        "upload_id": row["id"],
        "url": upload_url(row["id"]),
        "width": row["width"],
        "height": row["height"],
        "mime": row["mime"],
    }
    return body, 201


@bp.get("/<upload_id>")
def fetch(upload_id: str):
    """The re-encoded image, to its owner (and admins) only."""
    s = studio()
    row = get_upload(s.db, upload_id, owner_scope())
    try:
        path = s.paths.resolve(row["path"])
    except ValueError:
        raise NotFound(f"upload {upload_id} not found") from None
    if not path.is_file():
        raise NotFound(f"upload {upload_id} not found")
    response = send_file(path, mimetype=row["mime"], max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
