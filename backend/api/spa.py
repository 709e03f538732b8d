"""The single-page app: `/` is index.html, files of frontend/ at their paths, and any other
path that looks like an app route (no file extension) gets index.html too.

A missing asset (`/js/nope.js`) is a 404, never index.html with 200, and nothing under
`/api/` is ever answered with HTML.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

from backend.errors import error_response
from backend.services import studio
from studio_core.errors import NotFound

bp = Blueprint("spa", __name__)


class AppPath(PathConverter):
    """A path outside /api/: the catch-all never matches an API URL, so Flask's automatic
    OPTIONS and a 405's Allow list only the methods the API route itself serves."""

    regex = r"(?!api(?:/|$))[^/].*?"


bp.record_once(lambda state: state.app.url_map.converters.setdefault("app_path", AppPath))

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


@bp.get("/<app_path:path>")
def asset(path: str):
    """A file of frontend/, or the app shell for an app route (never /api/*: see AppPath)."""
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
    """405 JSON with the methods the URL serves in Allow."""
    response = error_response(405, "method_not_allowed", "method not allowed for this URL")
    if exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response
