"""The Flask backend: `create_app()` builds one app; `python -m backend` serves it.

create_app(test_config)   settings, migrations, Redis, services, the first admin, the gate,
                          security, limits,
                          metrics, blueprints (backend/api/), JSON errors
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from backend import accounts, errors, gate, limits, observability, security, services
from backend.api import register
from backend.status import SystemStatus
from studio_core.config import load_settings

logger = logging.getLogger(__name__)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` may set any field of studio_core's Settings (DATABASE_URL,
    REDIS_URL, STORAGE_DIR, RATE_LIMIT_*, the code-only SSE_PING_S, ...), Flask's `TESTING`,
    and `ENV`: a mapping that replaces os.environ (and skips .env) so a developer's
    environment cannot leak into tests.
    """
    config = dict(test_config or {})
    env = config.pop("ENV", None)
    testing = config.pop("TESTING", False)
    settings = load_settings(config, env=env) if env is not None else load_settings(config)
    settings.check_production()

    app = Flask(__name__, static_folder=None)
    app.config.update(
        TESTING=testing,
        SECRET_KEY=settings.secret_key,
        # The largest image plus room for the other form fields.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
    )
    app.json.sort_keys = False  # keep the documented field order

    studio_services = services.build_studio(settings)
    services.init_app(app, studio_services)
    system_status = SystemStatus(studio_services)
    app.extensions["studio_system"] = system_status

    accounts.init_app(app, studio_services)
    errors.init_app(app)
    observability.init_app(app, system_status.snapshot, settings.metrics_multiprocess_dir)
    security.init_app(app, settings)
    gate.init_app(app)  # before the limiter's hook: anonymous calls stop here
    register(app)
    limits.init_app(app, settings)
    logger.info(
        "backend ready env=%s db=%s tools=%s",
        settings.studio_env,
        studio_services.db.url.render_as_string(hide_password=True),
        len(studio_services.catalog.tools),
    )
    return app
