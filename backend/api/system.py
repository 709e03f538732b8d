"""System endpoints: the HUD's metrics, health and probes, and Prometheus text."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.errors import OUTAGE_RETRY_AFTER
from backend.status import SystemStatus

bp = Blueprint("system", __name__)


def _status() -> SystemStatus:
    return current_app.extensions["studio_system"]


@bp.get("/api/metrics")
def metrics():
    """Queue length, workers, backends, active jobs and jobs by status."""
    return _status().metrics()


@bp.get("/api/engine")
def engine():
    """Whether ComfyUI answers and whether the studio runs in demo mode (any signed-in user).

    The page's "ComfyUI is not reachable" and demo banners; unlike /api/metrics it names no
    engine URL or worker, so plain users may read it.
    """
    return _status().engine_state()


@bp.get("/health")
def health():
    """Every component's state; 200 when all are ok, 503 otherwise."""
    document, healthy = _status().health()
    if healthy:
        return document, 200
    return document, 503, {"Retry-After": str(OUTAGE_RETRY_AFTER), "Cache-Control": "no-store"}


@bp.get("/livez")
def livez():
    """The process is up and serving."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """The database and Redis answer (ready to take requests)."""
    body, ready = _status().ready()
    if ready:
        return body, 200
    return body, 503, {"Retry-After": str(OUTAGE_RETRY_AFTER)}


@bp.get("/metrics")
def prometheus():
    """Prometheus text format from this app's own registry."""
    registry = current_app.extensions["studio_metrics"]
    return Response(
        generate_latest(registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )
