"""The OpenAPI 3.1 document of every route, kept as data in backend/openapi.json.

The file ships as package data and is parsed once per process. A test compares it with
`app.url_map`, so a route added without documentation fails CI; edit the JSON by hand.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files


@cache
def openapi_document() -> dict:
    """The parsed document (shared: callers read it and never change it)."""
    return json.loads(files("backend").joinpath("openapi.json").read_text(encoding="utf-8"))
