"""Request parsing helpers shared by the blueprints."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from werkzeug.datastructures import FileStorage, MultiDict

from backend import json_input
from studio_core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from studio_core.jobs.queries import MAX_PAGE

# Exactly the OpenAPI document's enum: a server that took "yes", " 1" or "TRUE" as well
# accepted values its own document calls invalid (Schemathesis' negative mode checks that).
_TRUE, _FALSE = frozenset({"1", "true"}), frozenset({"0", "false"})
# ASCII digits only: int() also takes other scripts' digits ("٣"), "1_000" and " 5 ".
_INTEGER = re.compile(r"-?[0-9]{1,18}", re.ASCII)
MAX_OFFSET = 2**31 - 1  # far beyond any gallery, far inside SQL's BIGINT


def json_object(required: bool = True, max_bytes: int | None = None) -> dict[str, Any]:
    """The request body as a JSON object; 415 for another type, 400 for bad JSON, and 413
    over `max_bytes` (a route's own cap below the app-wide one), declared or read."""
    too_big = f"the body must be at most {(max_bytes or 0) // 1024} KB"
    if max_bytes is not None and (request.content_length or 0) > max_bytes:
        raise PayloadTooLarge(too_big)
    if not request.data and not required:
        return {}
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    data = request.get_data()
    if max_bytes is not None and len(data) > max_bytes:  # a chunked body declares no length
        raise PayloadTooLarge(too_big)
    body = json_input.loads(data)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


def one_arg(args: MultiDict, name: str, empty_is_absent: bool = True) -> str | None:
    """A query parameter given at most once (or repeated with one value); None when absent.

    Every occurrence is looked at: `?limit=5&limit=x` must not pass as 5. An empty value
    counts as absent for free text; a typed parameter (number, flag, choice) keeps it, so
    `?limit=` is refused like any other value that is not a number.
    """
    values = set(args.getlist(name))
    if len(values) > 1:
        raise InvalidInput(f"'{name}' is given more than once with different values", field=name)
    raw = values.pop() if values else None
    return None if raw == "" and empty_is_absent else raw


def one_file(files: MultiDict, name: str) -> FileStorage:
    """The one file part called name; 400 when the form repeats it."""
    parts = files.getlist(name)
    if len(parts) != 1:
        raise InvalidInput(f"one '{name}' part is expected, got {len(parts)}", field=name)
    return parts[0]


def int_arg(
    args: MultiDict, name: str, default: int, minimum: int = 0, maximum: int = MAX_OFFSET
) -> int:
    """An integer query parameter in [minimum, maximum]; 400 when it is not one."""
    raw = one_arg(args, name, empty_is_absent=False)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        raise InvalidInput(f"'{name}' must be an integer", field=name)
    number = int(raw)
    if not minimum <= number <= maximum:
        raise InvalidInput(f"'{name}' must be between {minimum} and {maximum}", field=name)
    return number


def bool_arg(args: MultiDict, name: str) -> bool | None:
    """A boolean query parameter (1/0/true/false); None when absent; 400 otherwise."""
    raw = one_arg(args, name, empty_is_absent=False)
    if raw is None:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise InvalidInput(f"'{name}' must be 1, 0, true or false", field=name)


def job_filters(args: MultiDict) -> dict[str, Any]:
    """Validated filters of GET /api/jobs and /api/history (status: checked by the repo)."""
    q = one_arg(args, "q")
    if q is not None and len(q) > 200:
        raise InvalidInput("'q' is at most 200 characters", field="q")
    return {
        "status": one_arg(args, "status", empty_is_absent=False),
        "tool": one_arg(args, "tool"),
        "q": q,
        "favorite": bool_arg(args, "favorite"),
        "active": bool_arg(args, "active"),
        "limit": int_arg(args, "limit", 50, minimum=1, maximum=MAX_PAGE),
        "offset": int_arg(args, "offset", 0),
    }
