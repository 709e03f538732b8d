"""Request parsing helpers shared by the blueprints."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from studio_core.errors import InvalidInput, UnsupportedMediaType

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def json_object(required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object; 415 for another type, 400 for bad JSON."""
    if not request.data and not required:
        return {}
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput("the request body is not valid JSON")
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


def int_arg(args: MultiDict, name: str, default: int) -> int:
    """An integer query parameter; 400 when it is not one."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"'{name}' must be an integer", field=name) from None


def bool_arg(args: MultiDict, name: str) -> bool | None:
    """A boolean query parameter (1/0/true/false); None when absent; 400 otherwise."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(f"'{name}' must be 1 or 0", field=name)


def job_filters(args: MultiDict) -> dict[str, Any]:
    """Validated filters of GET /api/jobs and /api/history (ranges checked by the repo)."""
    q = args.get("q") or None
    if q is not None and len(q) > 200:
        raise InvalidInput("'q' is at most 200 characters", field="q")
    return {
        "status": args.get("status") or None,
        "tool": args.get("tool") or None,
        "q": q,
        "favorite": bool_arg(args, "favorite"),
        "active": bool_arg(args, "active"),
        "limit": int_arg(args, "limit", 50),
        "offset": int_arg(args, "offset", 0),
    }
