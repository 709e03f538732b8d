"""Output images and thumbnails, served only to the owner of their job (and admins).

Names are matched against a strict pattern before any file system access, so no path
(`..`, slashes, drive letters, encoded tricks) ever reaches the disk; the job must be the
caller's and must list that file among its outputs.

A full-size image carries the name it is saved under (studio_core.jobs.download_names) in
its Content-Disposition: `inline` for viewing, `attachment` with `?download=1`.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, request, send_file

from backend.api.common import bool_arg
from backend.auth import owner_scope
from backend.services import studio
from studio_core.errors import JobNotFound, NotFound
from studio_core.jobs.download_names import content_disposition

bp = Blueprint("outputs", __name__, url_prefix="/outputs")

_NAME = re.compile(r"^(?P<job>[A-Za-z0-9][A-Za-z0-9-]{0,63})_(?P<n>\d{1,4})\.(?P<ext>png|webp)$")
CACHE = "private, max-age=86400"  # an output never changes once written


def _owned_file(name: str, ext: str, thumb: bool) -> tuple[Path, dict, dict]:
    """(path, job row, output row) of a file the caller may read; NotFound otherwise."""
    match = _NAME.match(name)
    if not match or match["ext"] != ext:
        raise NotFound("no such image")
    s = studio()
    try:
        job = s.repo.get(match["job"], owner_scope())
    except JobNotFound:
        raise NotFound("no such image") from None
    column = "thumb_filename" if thumb else "filename"
    output = next((o for o in job.get("outputs") or [] if o[column] == name), None)
    if output is None:
        raise NotFound("no such image")
    path = (s.paths.thumbs if thumb else s.paths.outputs) / name
    if not path.is_file():
        raise NotFound("the image file is missing")
    return path, job, output


@bp.get("/<path:name>")
def output(name: str):
    """A full-size output `<job>_<n>.png`; `?download=1` asks the browser to save it."""
    path, job, out = _owned_file(name, "png", thumb=False)
    kind = "attachment" if bool_arg(request.args, "download") else "inline"
    response = send_file(path, mimetype="image/png", conditional=True)
    index = out["idx"] + 1  # the page counts images from 1
    disposition = content_disposition(kind, job["tool"], job.get("prompt"), job.get("seed"), index)
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("/thumbs/<path:name>")
def thumb(name: str):
    """A WebP thumbnail `<job>_<n>.webp`."""
    path, _job, _out = _owned_file(name, "webp", thumb=True)
    response = send_file(path, mimetype="image/webp", conditional=True)
    response.headers["Cache-Control"] = CACHE
    return response
