"""System status for the HUD, /health and Prometheus: cheap reads only (no KEYS, no scans).

The queue length is one GET, workers come from the heartbeat set, engines from the
registry, active jobs from LiveState's counters, jobs by status from the SQL counter rows
(a few rows whatever the number of jobs, so read fresh); only the durations are cached.

Probes check what a request needs, with bounded waits: readiness opens a write transaction
(a locked or hung database fails it in seconds) and compares the free space with the floor;
health also asks every known ComfyUI itself, since the registry may be a TTL out of date.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import sqlalchemy as sa

from backend.services import Studio
from backend.ttl_cache import TTLCache
from studio_core.db.engine import check_writable
from studio_core.db.tables import jobs
from studio_core.engines import probe_engines
from studio_core.errors import StorageFull
from studio_core.jobs.states import JobStatus
from studio_core.outages import DB_OUTAGES, REDIS_OUTAGES

logger = logging.getLogger(__name__)

RECENT_DURATIONS = 200  # finished jobs the duration histogram looks at
# Longest wait for SQLite's write lock in the readiness probe: ordinary writes hold it for
# milliseconds, a stuck writer for ever; real writes wait 10 s, a probe answers sooner.
PROBE_LOCK_WAIT_S = 2.0
ENGINE_PROBE_TIMEOUT_S = 2.0


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


def engines_busy(workers: list[dict], engines: list) -> dict[str, int]:
    """Per online engine URL: 1 while an online worker of it holds a job, else 0.

    A held job has been (or is about to be) submitted to that ComfyUI, so sampled over time
    this is the engine's busy fraction (SPEC 9's GPU-busy promise, seen from Prometheus).
    """
    # Heartbeats carry COMFYUI_URL as configured; the registry's URL has no trailing slash.
    holding = {
        (w.get("backend") or "").rstrip("/") for w in workers if w["online"] and w.get("jobs")
    }
    return {e.url: int(e.url in holding) for e in engines if e.online}


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
    with studio.db.connect() as conn:
        rows = conn.execute(query).all()
    return [max(0.0, (r.finished_at - r.started_at).total_seconds()) for r in rows if r.finished_at]


class SystemStatus:
    """Metrics and health of one app, with the duration histogram's query cached."""

    def __init__(self, studio: Studio):
        self.studio = studio
        self.durations = TTLCache(studio.settings.metrics_cache_s, lambda: recent_durations(studio))

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

    def engine_state(self) -> dict:
        """What every signed-in user may know: is any engine up, is this a demo (no internals)."""
        online = self.studio.online_engines.get()
        # The banner means "results are test patterns": true whenever the engine that answers is
        # the simulator, even with DEMO_MODE=off (which only stops the launcher starting one).
        placeholders = demo_mode(self.studio, online) or any(e.simulator for e in online)
        return {"online": bool(online), "demo_mode": placeholders}

    def snapshot(self) -> dict:
        """What the Prometheus collector exposes."""
        studio = self.studio
        workers = studio.queue.workers()
        engines = studio.engines.all()
        return {
            "queue_length": studio.queue.length(),
            "jobs_by_status": studio.repo.counts_by_status(),
            "workers_online": sum(1 for w in workers if w["online"]),
            "engines_online": sum(1 for e in engines if e.online),
            "engines_busy": engines_busy(workers, engines),
            "durations": self.durations.get(),
        }

    def readiness(self) -> dict[str, str]:
        """{"database": ok|down, "redis": ok|down, "storage": ok|full|down}."""
        return {"database": self._database(), "redis": self._redis(), "storage": self._storage()}

    def ready(self) -> tuple[dict, bool]:
        """(/readyz document, ready); ready when every readiness component is ok."""
        components = self.readiness()
        ready = all(v == "ok" for v in components.values())
        return {"status": "ok" if ready else "down", "components": components}, ready

    def health(self) -> tuple[dict, bool]:
        """(/health document, healthy); healthy needs readiness, a worker and an engine."""
        components = self.readiness()
        engines: list = []
        if components["redis"] == "ok":
            workers = workers_listing(self.studio)
            engines = self.studio.engines.all()
            components["workers"] = "ok" if any(w["online"] for w in workers) else "down"
        else:
            components["workers"] = "unknown"
        components["comfyui"] = self._comfyui([e.url for e in engines])
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
            check_writable(self.studio.db, PROBE_LOCK_WAIT_S)
            return "ok"
        except DB_OUTAGES as exc:
            logger.warning("health database down error=%s", str(exc).splitlines()[0])
            return "down"

    def _storage(self) -> str:
        try:
            self.studio.paths.check_room(self.studio.settings.storage_min_free_bytes)
            return "ok"
        except StorageFull as exc:
            logger.warning("health storage full error=%s", exc)
            return "full"
        except OSError as exc:
            logger.warning("health storage down error=%s", exc)
            return "down"

    def _comfyui(self, registry_urls: list[str]) -> str:
        """ok when any engine a worker published or COMFYUI_URL names answers right now."""
        urls = list(dict.fromkeys([*registry_urls, *self.studio.settings.comfyui_urls]))
        answers = probe_engines(urls, ENGINE_PROBE_TIMEOUT_S)
        down = [url for url, ok in answers.items() if not ok]
        if down:
            logger.debug("health engines down urls=%s", ",".join(down))
        return "ok" if any(answers.values()) else "down"

    def _redis(self) -> str:
        try:
            self.studio.redis.ping()
            return "ok"
        except REDIS_OUTAGES as exc:
            logger.warning("health redis down error=%s", exc)
            return "down"
