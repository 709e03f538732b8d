"""The HTTP blueprints, one per resource; `register` mounts them all."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from backend.api import (
    admin_tools,
    auth,
    events,
    graph,
    jobs,
    openapi,
    outputs,
    spa,
    system,
    tools,
    uploads,
    users,
)


class RowId(IntegerConverter):
    """A table row's id in a URL: at most 9 digits, so every id that matches fits an SQL
    INTEGER; a longer one is no route at all (404), never an overflow in the database.
    (`int(max=...)` would fail validation instead, and werkzeug then answers 405.)"""

    regex = r"\d{1,9}"


def register(app: Flask) -> None:
    """Mount every blueprint (the SPA last: its catch-all must lose to real routes)."""
    app.url_map.converters["row_id"] = RowId
    modules = (auth, users, admin_tools, jobs, uploads, tools, graph, system, events, outputs)
    for module in (*modules, openapi, spa):
        app.register_blueprint(module.bp)
