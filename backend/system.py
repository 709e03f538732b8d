"""System status for the HUD, /health and Prometheus: cheap reads only (no KEYS, no scans).

The queue length is one GET, workers come from the heartbeat set, engines from the
registry, active jobs from LiveState's counters, jobs by status from the SQL counter rows
(a few rows whatever the number of jobs, so read fresh); only the durations are cached.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import sqlalchemy as sa

from backend.errors import DB_OUTAGES, REDIS_OUTAGES
from backend.services import Studio
from backend.ttl_cache import TTLCache
from studio_core.db import jobs
from studio_core.jobs import JobStatus

logger = logging.getLogger(__name__)

RECENT_DURATIONS = 200  # finished jobs the duration histogram looks at


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat() if ts else None


def workers_listing(studio: Studio) -> list[dict]:
    """Workers as /api/metrics shows them: id, online, backend, jobs, last_seen."""
    listing = []
    for w in studio.queue.workers():
        jobs_now = w.get("jobs")
        listing.append(
            {
                "id": w["id"],
                "online": bool(w["online"]),
                "backend": w.get("backend") or w.get("engine") or w.get("comfyui_url"),
                "jobs": len(jobs_now) if isinstance(jobs_now, list) else int(jobs_now or 0),
                "last_seen": _iso(w.get("last_seen")),
            }
        )
    return listing


def demo_mode(studio: Studio, engines: list) -> bool:
    """DEMO_MODE=on/off forces it; auto: any online engine is the simulator."""
    setting = studio.settings.demo_mode
    if setting != "auto":
        return setting == "on"
    return any(e.online and e.simulator for e in engines)


def recent_durations(studio: Studio, limit: int = RECENT_DURATIONS) -> list[float]:
    """Seconds from start to finish of the most recent finished jobs."""
    query = (
        sa.select(jobs.c.started_at, jobs.c.finished_at)
        .where(jobs.c.status == JobStatus.FINISHED.value, jobs.c.started_at.is_not(None))
        .order_by(jobs.c.finished_at.desc())
        .limit(limit)
    )
    with studio.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [max(0.0, (r.finished_at - r.started_at).total_seconds()) for r in rows if r.finished_at]


class SystemStatus:
    """Metrics and health of one app, with the duration histogram's query cached."""

    def __init__(self, studio: Studio, cache_s: float = 5.0):
        self.studio = studio
        self.durations = TTLCache(cache_s, lambda: recent_durations(studio))

    def metrics(self) -> dict:
        """The /api/metrics document."""
        studio = self.studio
        engines = studio.engines.all()
        workers = workers_listing(studio)
        active = studio.live.counts()
        return {
            "queue_length": studio.queue.length(),
            "worker_status": "online" if any(w["online"] for w in workers) else "offline",
            "active_jobs": active.get("processing", 0),
            "queued_jobs": active.get("queued", 0),
            "workers": workers,
            "backends": [
                {
                    "url": e.url,
                    "online": e.online,
                    "simulator": e.simulator,
                    "version": e.version,
                    "error": e.error,
                }
                for e in engines
            ],
            "jobs_by_status": studio.repo.counts_by_status(),
            "demo_mode": demo_mode(studio, engines),
        }

    def snapshot(self) -> dict:
        """What the Prometheus collector exposes."""
        studio = self.studio
        return {
            "queue_length": studio.queue.length(),
            "jobs_by_status": studio.repo.counts_by_status(),
            "workers_online": sum(1 for w in studio.queue.workers() if w["online"]),
            "engines_online": len(studio.engines.online()),
            "durations": self.durations.get(),
        }

    def readiness(self) -> dict[str, str]:
        """{"database": ok|down, "redis": ok|down}."""
        return {"database": self._database(), "redis": self._redis()}

    def health(self) -> tuple[dict, bool]:
        """(/health document, healthy); healthy needs SQL, Redis, a worker and an engine."""
        components = self.readiness()
        engines: list = []
        if components["redis"] == "ok":
            workers = workers_listing(self.studio)
            engines = self.studio.engines.all()
            components["workers"] = "ok" if any(w["online"] for w in workers) else "down"
            components["comfyui"] = "ok" if any(e.online for e in engines) else "down"
        else:
            components["workers"] = components["comfyui"] = "unknown"
        core_ok = components["database"] == "ok" and components["redis"] == "ok"
        healthy = all(v == "ok" for v in components.values())
        status = "ok" if healthy else ("degraded" if core_ok else "down")
        return (
            {
                "status": status,
                "components": components,
                "demo_mode": demo_mode(self.studio, engines),
            },
            healthy,
        )

    def _database(self) -> str:
        try:
            with self.studio.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return "ok"
        except DB_OUTAGES as exc:
            logger.warning("health database down error=%s", str(exc).splitlines()[0])
            return "down"

    def _redis(self) -> str:
        try:
            self.studio.redis.ping()
            return "ok"
        except REDIS_OUTAGES as exc:
            logger.warning("health redis down error=%s", exc)
            return "down"
