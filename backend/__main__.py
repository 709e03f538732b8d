"""`python -m backend`: serve the app on HOST:PORT, logging to logs/backend.log.

The server (uvicorn, several processes, backend.serving.asgi in each) is set up in backend.serving.server.
"""

from __future__ import annotations

import logging
import sys

from backend.serving import server
from studio_core.config import ConfigError, load_settings
from studio_core.db.migrate import upgrade
from studio_core.logging_setup import configure_logging

logger = logging.getLogger("backend")


def main() -> int:
    """Start the server; exit code 2 on a configuration error."""
    try:
        settings = load_settings()
        configure_logging("backend", settings.log_dir)
        settings.check_production()
        if not settings.redis_url:
            raise ConfigError("REDIS_URL must be set")
    except ConfigError as exc:
        logger.error("configuration error: %s", exc)
        return 2
    # Once here, before the worker processes start and would race to migrate.
    upgrade(settings.database_url)
    server.serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
