"""Output images and thumbnails, served only to the owner of their job (and admins).

Names are matched against a strict pattern before any file system access, so no path
(`..`, slashes, drive letters, encoded tricks) ever reaches the disk; the job must be the
caller's and must list that file among its outputs.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, send_file

from backend.auth import owner_scope
from backend.services import studio
from studio_core.errors import JobNotFound, NotFound

bp = Blueprint("outputs", __name__, url_prefix="/outputs")

_NAME = re.compile(r"^(?P<job>[A-Za-z0-9][A-Za-z0-9-]{0,63})_(?P<n>\d{1,4})\.(?P<ext>png|webp)$")
CACHE = "private, max-age=86400"  # an output never changes once written


def _owned_file(name: str, ext: str, thumb: bool) -> Path:
    match = _NAME.match(name)
    if not match or match["ext"] != ext:
        raise NotFound("no such image")
    s = studio()
    try:
        job = s.repo.get(match["job"], owner_scope())
    except JobNotFound:
        raise NotFound("no such image") from None
    column = "thumb_filename" if thumb else "filename"
    if name not in {o[column] for o in job.get("outputs") or []}:
        raise NotFound("no such image")
    path = (s.paths.thumbs if thumb else s.paths.outputs) / name
    if not path.is_file():
        raise NotFound("the image file is missing")
    return path


@bp.get("/<path:name>")
def output(name: str):
    """A full-size output `<job>_<n>.png`."""
    path = _owned_file(name, "png", thumb=False)
    response = send_file(path, mimetype="image/png", conditional=True)
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("/thumbs/<path:name>")
def thumb(name: str):
    """A WebP thumbnail `<job>_<n>.webp`."""
    path = _owned_file(name, "webp", thumb=True)
    response = send_file(path, mimetype="image/webp", conditional=True)
    response.headers["Cache-Control"] = CACHE
    return response
