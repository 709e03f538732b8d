"""Rate limits in Redis via Flask-Limiter, one bucket per user (per client IP before login).

Reads get RATE_LIMIT_READS per route; the writes that cost work are counted apart from them:
`POST /api/generate` and `POST /api/uploads` (decoding and storing an image) draw on one
shared RATE_LIMIT_GENERATE bucket (issue 9: an upload costs what a submit costs, and a
script must not get a second budget of image decodes beside its generates; a person's blend
of three images and a click is 4 of the default 60 a minute), and an admin's tool imports,
publishes and edits (a file parsed, every engine's /object_info read) RATE_LIMIT_IMPORTS.
Static files, images, health probes and CORS preflights are not counted: a gallery page loads
dozens of thumbnails at once, and a monitor must never be locked out.

One Redis round trip per counted request: the fixed-window hit is a single script call, and
the X-RateLimit-* headers are off because Flask-Limiter reads the window back (two more
round trips) to write them on every response. Only a 429 reads the window, for Retry-After.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from redis.exceptions import RedisError

from backend.auth import rate_limit_key
from studio_core.config import Settings

logger = logging.getLogger(__name__)

# Endpoints that are never rate limited (see the module docstring).
EXEMPT_ENDPOINTS = frozenset(
    {
        "spa.index",
        "spa.asset",
        "outputs.output",
        "outputs.thumb",
        "system.livez",
        "system.readyz",
        "system.health",
        "system.prometheus",
        "static",
    }
)
GENERATE_ENDPOINT = "jobs.generate"
UPLOAD_ENDPOINT = "uploads.create"
# An import or a publish parses a file and asks every engine for /object_info.
ADMIN_TOOL_ENDPOINTS = (
    "admin_tools.import_tool",
    "admin_tools.publish_tool",
    "admin_tools.edit_tool",
)
LOGIN_ENDPOINT = "auth.login"


def _exempt() -> bool:
    return request.method == "OPTIONS" or request.endpoint in EXEMPT_ENDPOINTS


def _address_key() -> str:
    return f"ip:{request.remote_addr or 'unknown'}"


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Attach a limiter backed by the studio's Redis; call after the blueprints are registered."""
    limiter = Limiter(
        rate_limit_key,
        app=app,
        default_limits=[settings.rate_limit_reads],
        storage_uri=settings.redis_url,
        storage_options={"socket_connect_timeout": 2, "socket_timeout": 2},
        strategy="fixed-window",
        headers_enabled=False,  # see the module docstring
        # A Redis outage must not turn every request into a 500; the routes that need Redis
        # answer 503 themselves, and /health keeps working.
        swallow_errors=True,
        key_prefix="studio:limits",
    )
    limiter.request_filter(_exempt)
    # Writes that cost work: limits instead of the reads' (which they do not count in).
    # A shared limit is one bucket for every view it decorates; the scope names its key.
    for endpoints, shared in (
        (
            (GENERATE_ENDPOINT, UPLOAD_ENDPOINT),
            limiter.shared_limit(settings.rate_limit_generate, scope="generate"),
        ),
        (ADMIN_TOOL_ENDPOINTS, limiter.shared_limit(settings.rate_limit_imports, scope="imports")),
    ):
        for endpoint in endpoints:
            app.view_functions[endpoint] = shared(app.view_functions[endpoint])
    # Login is limited per client address, whoever is already logged in on it.
    login = app.view_functions[LOGIN_ENDPOINT]
    app.view_functions[LOGIN_ENDPOINT] = limiter.limit(
        settings.rate_limit_login, key_func=_address_key
    )(login)
    app.extensions["studio_limiter"] = limiter
    return limiter


def breach_retry_after() -> int | None:
    """Seconds until the limit this request broke resets, or None if it broke none."""
    limiter: Limiter | None = current_app.extensions.get("studio_limiter")
    breached = limiter.current_limit if limiter is not None else None
    if breached is None or not breached.breached:
        return None
    try:
        reset_at = breached.window.reset_time
    except RedisError as exc:
        logger.warning("rate limit window unavailable error=%s", exc)
        return None
    return max(1, math.ceil(reset_at - time.time()))
