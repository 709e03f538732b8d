"""The single-page app: `/` is index.html, files of frontend/ at their paths, and any other
path that looks like an app route (no file extension) gets index.html too.

A missing asset (`/js/nope.js`) is a 404, never index.html with 200, and nothing under
`/api/` is ever answered with HTML.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, request, send_from_directory
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.security import safe_join

from backend.errors import error_response
from backend.services import studio
from studio_core.errors import NotFound

bp = Blueprint("spa", __name__)

DEFAULT_FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def frontend_dir() -> Path:
    """Where the SPA's files are (the FRONTEND_DIR setting, else the repo's)."""
    return studio().settings.frontend_dir or DEFAULT_FRONTEND


def _index():
    response = send_from_directory(frontend_dir(), "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # always revalidate: new deploys show up
    return response


@bp.get("/")
def index():
    """The app shell."""
    return _index()


@bp.get("/<path:path>")
def asset(path: str):
    """A file of frontend/, or the app shell for an app route; 404 JSON for /api/*."""
    if path == "api" or path.startswith("api/"):
        raise NotFound(f"no API endpoint {request.method} /{path}")
    root = frontend_dir()
    target = safe_join(str(root), path)
    if target is not None and Path(target).is_file():
        response = send_from_directory(root, path, max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return response
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if "." not in last:
        return _index()
    raise NotFound(f"no file /{path}")


@bp.app_errorhandler(405)
def method_not_allowed(exc: MethodNotAllowed):
    """405 JSON, except that an unknown /api/ path is a 404 (only the SPA route matched it)."""
    if request.path.startswith("/api/"):
        adapter = current_app.url_map.bind("localhost")
        try:
            endpoint, _args = adapter.match(request.path, method="GET")
        except HTTPException:  # no match, wrong method, or a redirect: not only the SPA
            endpoint = None
        if endpoint == "spa.asset":
            return error_response(
                404, "not_found", f"no API endpoint {request.method} {request.path}"
            )
    response = error_response(405, "method_not_allowed", "method not allowed for this URL")
    if exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response
