"""`python -m worker`: one worker for one ComfyUI backend (COMFYUI_URL), until SIGTERM/Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import sys

from studio_core.config import ConfigError, load_settings
from studio_core.logging_setup import configure_logging
from studio_core.memory import return_large_blocks

logger = logging.getLogger("worker")


def main(argv: list[str] | None = None) -> int:
    """Build a Worker from the settings and run it; the exit code is 0 on a clean stop."""
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--comfyui-url", help="ComfyUI base URL (default: first of COMFYUI_URL)")
    parser.add_argument("--worker-id", help="worker id (default: WORKER_ID or host-pid)")
    args = parser.parse_args(argv)
    overrides = {"worker_id": args.worker_id} if args.worker_id else {}
    try:
        settings = load_settings(overrides)
    except ConfigError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    configure_logging("worker", settings.log_dir)
    return_large_blocks()  # decoded outputs and thumbnails give their memory back
    # Imported after logging is set up, so import-time messages land in worker.log too.
    from worker.platform_support import install_stop_handlers
    from worker.worker import Worker

    try:
        worker = Worker(settings, comfyui_url=args.comfyui_url)
    except ConfigError as exc:
        logger.error("worker configuration error: %s", exc)
        return 2
    restore = install_stop_handlers(worker.request_stop)
    try:
        worker.run()
    finally:
        restore()
    return 0


if __name__ == "__main__":
    sys.exit(main())
