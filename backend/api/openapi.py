"""GET /api/openapi.json."""

from __future__ import annotations

from flask import Blueprint

from backend.openapi import openapi_document

bp = Blueprint("openapi", __name__, url_prefix="/api")


@bp.get("/openapi.json")
def document():
    """The machine-readable API description."""
    return openapi_document()
