"""Process-wide logging: `logs/<service>.log` rotated 5 MB x 3, plus stderr, one line per event.

Repeated warnings and errors are rate-limited (log_throttle.py) so one flood cannot rotate
away the history that explains it.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from concurrent_log_handler import ConcurrentRotatingFileHandler

from studio_core.log_throttle import RepeatThrottle

MAX_BYTES = 5 * 1024 * 1024
BACKUP_COUNT = 3
_MARK = "_studio_handler"  # set on our handlers so a second call replaces them


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=... service=... logger=... <message>` on a single line, UTC timestamps."""

    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render one record as one line; tracebacks are folded with ' | '."""
        ts = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        text = (
            f"ts={ts}.{int(record.msecs):03d}Z level={record.levelname} "
            f"service={self.service} logger={record.name} {record.getMessage()}"
        )
        if record.exc_info:
            text += " exc=" + self.formatException(record.exc_info)
        elif record.exc_text:
            text += " exc=" + record.exc_text
        if record.stack_info:
            text += " stack=" + record.stack_info
        # One event per line keeps the file greppable and safe to tail from another process.
        return " | ".join(line for line in text.splitlines() if line.strip())


def configure_logging(
    service: str,
    log_dir: str | os.PathLike,
    level: str = "INFO",
    *,
    throttle: RepeatThrottle | None = None,
) -> Path:
    """Send the root logger to `<log_dir>/<service>.log` (rotated) and stderr; idempotent.

    `throttle` bounds repeated WARNING+ records (default: 5 of a kind per 60 s)."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{service}.log"
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    formatter = KeyValueFormatter(service)
    # Several processes write one file (the backend runs 2 server processes): a plain
    # RotatingFileHandler would rotate from each of them and lose lines; this one takes a
    # file lock around writes and rotation (also on Windows).
    file_handler = ConcurrentRotatingFileHandler(
        str(path), maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    stream_handler = logging.StreamHandler(sys.stderr)
    # On the handlers, not the root logger: a logger's filters never see records that
    # propagate up from child loggers. One instance for both, so they agree on what to drop.
    throttle = RepeatThrottle() if throttle is None else throttle
    for handler in (file_handler, stream_handler):
        handler.setFormatter(formatter)
        handler.addFilter(throttle)
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # Per-request chatter from these libraries drowns the state changes we care about.
    for noisy in ("werkzeug", "urllib3", "websocket", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
