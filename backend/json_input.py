"""JSON from a request, checked before any code sees it: depth, and text that is real UTF-8.

Python's decoder recurses once per nesting level, so `[[[[...` 10,000 deep raises
RecursionError (not ValueError); and `"\\ud800"` decodes to a lone surrogate that later fails
to encode for the database, Redis or ComfyUI. Both are the client's error: InvalidInput.
"""

from __future__ import annotations

import json
from typing import Any

from studio_core.errors import InvalidInput

MAX_DEPTH = 32  # our deepest document (a tool's params) is 3 levels; room to spare


def loads(text: str | bytes, name: str = "the request body") -> Any:
    """Parse JSON text and check it (see `check`); InvalidInput when it is not valid JSON."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise InvalidInput(f"{name} is not valid JSON") from None
    check(value, name)
    return value


def check(value: Any, name: str = "the request body") -> None:
    """InvalidInput when value nests deeper than MAX_DEPTH or holds text that is not UTF-8."""
    pending = [(value, 1)]
    while pending:  # iterative: a deep value must not exhaust the stack here either
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item, name)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise InvalidInput(f"{name} nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, name)
                pending.append((child, depth + 1))
        else:
            pending.extend((child, depth + 1) for child in item)


def _check_text(text: str, name: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{name} contains a lone surrogate (\\ud800-\\udfff)") from None
