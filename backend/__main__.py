"""`python -m backend`: serve the app with waitress on HOST:PORT, logging to logs/backend.log."""

from __future__ import annotations

import logging
import sys

from waitress import serve

from backend import create_app
from studio_core.config import ConfigError, load_settings
from studio_core.logging_setup import configure_logging

logger = logging.getLogger("backend")

# Each open SSE stream holds a thread for its lifetime; keep plenty for ordinary requests.
THREADS = 64


def main() -> int:
    """Start the server; exit code 2 on a configuration error."""
    try:
        settings = load_settings()
        configure_logging("backend", settings.log_dir)
        app = create_app()
    except ConfigError as exc:
        logging.getLogger("backend").error("configuration error: %s", exc)
        return 2
    logger.info("serving host=%s port=%s threads=%s", settings.host, settings.port, THREADS)
    serve(
        app,
        host=settings.host,
        port=settings.port,
        threads=THREADS,
        ident="comfyui-studio",
        channel_timeout=120,
        connection_limit=256,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
