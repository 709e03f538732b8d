"""`python -m backend`: serve the app on HOST:PORT, logging to logs/backend.log.

The server (gunicorn workers on POSIX, waitress on Windows) is chosen in backend.server.
"""

from __future__ import annotations

import logging
import sys

from backend import create_app, server
from studio_core.config import ConfigError, load_settings
from studio_core.logging_setup import configure_logging

logger = logging.getLogger("backend")


def main() -> int:
    """Start the server; exit code 2 on a configuration error."""
    kind = server.choose()
    try:
        settings = load_settings()
        configure_logging("backend", settings.log_dir)
        config = {}
        if kind == "gunicorn":
            config["METRICS_MULTIPROCESS_DIR"] = server.metrics_dir_for_workers()
        app = create_app(config)
    except ConfigError as exc:
        logging.getLogger("backend").error("configuration error: %s", exc)
        return 2
    if kind == "gunicorn":
        server.serve_gunicorn(app, settings)
    else:
        server.serve_waitress(app, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
