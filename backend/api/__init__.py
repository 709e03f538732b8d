"""The HTTP blueprints, one per resource; `register` mounts them all."""

from __future__ import annotations

from flask import Flask

from backend.api import auth, events, jobs, openapi, outputs, spa, system, tools, uploads, users


def register(app: Flask) -> None:
    """Mount every blueprint (the SPA last: its catch-all must lose to real routes)."""
    for module in (auth, users, jobs, uploads, tools, system, events, outputs, openapi, spa):
        app.register_blueprint(module.bp)
