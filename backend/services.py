"""The shared clients of one app, built once in `create_app` and kept in `app.extensions`.

Views reach them through `studio()`; domain functions receive them as arguments.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis as redis_lib
from flask import Flask, current_app
from sqlalchemy.engine import Engine

from backend.ttl_cache import TTLCache
from studio_core.catalog import Catalog
from studio_core.config import ConfigError, Settings
from studio_core.db import make_engine, upgrade
from studio_core.engines import EngineInfo, EngineRegistry
from studio_core.events import EventBus
from studio_core.jobs.repo import JobRepository
from studio_core.live import LiveState
from studio_core.queue import JobQueue
from studio_core.storage import StoragePaths

logger = logging.getLogger(__name__)

EXTENSION = "studio"
REDIS_SOCKET_TIMEOUT = 5.0
REDIS_CONNECT_TIMEOUT = 2.0
# Workers republish their engines every few seconds; a submit may see a view this old.
ENGINES_CACHE_S = 2.0


@dataclass
class Studio:
    """Everything a request may need: settings, SQL, Redis and the services built on them."""

    settings: Settings
    engine: Engine
    redis: Any
    repo: JobRepository
    queue: JobQueue
    live: LiveState
    events: EventBus
    engines: EngineRegistry
    online_engines: TTLCache[list[EngineInfo]]  # engines.online(), read at most every few s
    catalog: Catalog
    paths: StoragePaths
    options: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Release the pools (tests build many apps)."""
        self.live.close()
        self.redis.close()
        self.redis.connection_pool.disconnect()
        self.engine.dispose()


def make_redis(url: str):
    """A decoding Redis client with bounded waits, so an outage fails fast (503), not hangs."""
    return redis_lib.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=REDIS_SOCKET_TIMEOUT,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
        health_check_interval=30,
    )


def build_studio(settings: Settings) -> Studio:
    """Connect to SQL (running the migrations) and Redis and build the services."""
    if not settings.redis_url:
        raise ConfigError("REDIS_URL must be set (python -m studio_core.launcher provides one)")
    # Migrations on an engine of their own: a long ALTER must not hit the request timeouts.
    upgrade(settings.database_url)
    # Pool settings live in studio_core.db; DB_TIMEOUT_S makes a hung MySQL fail fast (503).
    engine = make_engine(settings.database_url, timeout_s=settings.db_timeout_s)
    client = make_redis(settings.redis_url)
    extra = dict(settings.extra)
    engines = EngineRegistry(client)
    catalog_dir = extra.get("CATALOG_DIR")
    paths = StoragePaths(settings.storage_dir).ensure()
    return Studio(
        settings=settings,
        engine=engine,
        redis=client,
        repo=JobRepository(engine, default_max_attempts=settings.max_attempts),
        queue=JobQueue(client),
        live=LiveState(client),
        events=EventBus(client),
        engines=engines,
        online_engines=TTLCache(
            float(extra.get("ENGINES_CACHE_S", ENGINES_CACHE_S)), engines.online
        ),
        catalog=Catalog.load(Path(catalog_dir) if catalog_dir else None),
        paths=paths,
        options=extra,
    )


def init_app(app: Flask, studio_services: Studio) -> None:
    """Keep the services on the app."""
    app.extensions[EXTENSION] = studio_services


def studio() -> Studio:
    """The current app's services."""
    return current_app.extensions[EXTENSION]
