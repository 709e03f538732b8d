"""`python -m studio_core.db`: bring the database to the code's schema, then exit.

docker-compose.yml runs it once as the `migrate` service before the backend and the workers
start, so no two processes race to migrate and none starts on an old schema. Exit 0 when the
schema is current, 2 on a configuration error, 1 when a migration failed (logged).
"""

from __future__ import annotations

import logging
import sys

from studio_core.config import ConfigError, load_settings
from studio_core.db.migrate import upgrade
from studio_core.logging_setup import configure_logging

logger = logging.getLogger("studio_core.db")


def main() -> int:
    """Run the migrations up to head on DATABASE_URL."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        logging.basicConfig(level=logging.INFO)
        logger.error("configuration error: %s", exc)
        return 2
    configure_logging("migrate", settings.log_dir)
    try:
        upgrade(settings.database_url)
    except Exception:
        logger.exception("migrations failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
