"""The OpenAPI 3.1 document of every route, kept as data in backend/openapi.json.

The file ships as package data and is parsed once per process. A test compares it with
`app.url_map`, so a route added without documentation fails CI; edit the JSON by hand.
What the gate (backend.gate) adds to every route is added here, not repeated per route:
an operation that is not public (`"security": []`) answers 401 without credentials, and a
write may answer 403 (csrf_failed for a cookie without its X-CSRF-Token). What the server's
body reader (backend.serving.body) adds to every operation that takes a body is added here too:
413 for a body over the size limit, 408 for one that arrives too slowly.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

WRITES = frozenset({"post", "put", "patch", "delete"})


def _gate_responses(doc: dict) -> dict:
    for operations in doc["paths"].values():
        for method, operation in operations.items():
            if operation.get("security", doc.get("security")) == []:
                continue  # public
            responses = operation["responses"]
            responses.setdefault("401", {"$ref": "#/components/responses/E401"})
            if method in WRITES:
                responses.setdefault("403", {"$ref": "#/components/responses/E403"})
    return doc


def _body_responses(doc: dict) -> dict:
    for operations in doc["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                responses = operation["responses"]
                responses.setdefault("408", {"$ref": "#/components/responses/E408"})
                responses.setdefault("413", {"$ref": "#/components/responses/E413"})
    return doc


@cache
def openapi_document() -> dict:
    """The parsed document (shared: callers read it and never change it)."""
    text = files("backend").joinpath("openapi.json").read_text(encoding="utf-8")
    return _body_responses(_gate_responses(json.loads(text)))
