"""The shared clients of one app, built once in `create_app` and kept in `app.extensions`.

Views reach them through `studio()`; domain functions receive them as arguments.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy.engine import Engine

from backend.ttl_cache import TTLCache
from studio_core.catalog.tools import Catalog
from studio_core.config import ConfigError, Settings
from studio_core.custom_tools.live import LiveCatalog
from studio_core.db.engine import make_engine
from studio_core.db.migrate import upgrade
from studio_core.engines import EngineInfo, EngineRegistry
from studio_core.events import EventBus
from studio_core.jobs.repo import JobRepository
from studio_core.live import LiveState
from studio_core.memory import trim_free_memory
from studio_core.queue.job_queue import JobQueue
from studio_core.redis_client import connect_redis
from studio_core.storage import StoragePaths
from studio_core.uploads import UploadSlots

logger = logging.getLogger(__name__)

EXTENSION = "studio"


@dataclass
class Studio:
    """Everything a request may need: settings, SQL, Redis and the services built on them."""

    settings: Settings
    db: Engine  # SQL; `engines` below are the ComfyUI backends
    redis: Any
    repo: JobRepository
    queue: JobQueue
    live: LiveState
    events: EventBus
    engines: EngineRegistry
    online_engines: TTLCache[list[EngineInfo]]  # engines.online(), read at most every few s
    catalog: LiveCatalog  # built-in + published imported tools (studio_core.custom_tools)
    paths: StoragePaths
    upload_slots: UploadSlots  # image checks at once in this process (studio_core.uploads)

    def close(self) -> None:
        """Release the pools (tests build many apps)."""
        self.redis.close()
        self.redis.connection_pool.disconnect()
        self.db.dispose()


def build_studio(settings: Settings) -> Studio:
    """Connect to SQL (running the migrations) and Redis and build the services."""
    if not settings.redis_url:
        raise ConfigError("REDIS_URL must be set (python -m studio_ops.launcher provides one)")
    # Migrations on a SQL engine of their own: a long ALTER must not hit the request timeouts.
    upgrade(settings.database_url)
    # Pool settings live in studio_core.db.engine; DB_TIMEOUT_S makes a hung MySQL fail fast (503).
    db = make_engine(settings.database_url, timeout_s=settings.db_timeout_s)
    client = connect_redis(settings.redis_url)
    engines = EngineRegistry(client)
    paths = StoragePaths(settings.storage_dir).ensure()
    return Studio(
        settings=settings,
        db=db,
        redis=client,
        repo=JobRepository(db, default_max_attempts=settings.max_attempts),
        queue=JobQueue(client),
        live=LiveState(client),
        events=EventBus(client),
        engines=engines,
        online_engines=TTLCache(settings.engines_cache_s, engines.online),
        catalog=LiveCatalog(Catalog.load(settings.catalog_dir), db, client),
        paths=paths,
        upload_slots=UploadSlots(when_idle=trim_free_memory),
    )


def init_app(app: Flask, studio_services: Studio) -> None:
    """Keep the services on the app."""
    app.extensions[EXTENSION] = studio_services


def studio() -> Studio:
    """The current app's services."""
    return current_app.extensions[EXTENSION]
