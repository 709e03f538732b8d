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
) -> Path | None:
    """Send the root logger to `<log_dir>/<service>.log` (rotated) and stderr; idempotent.

    Returns the log file, or None when it cannot be written: then stderr alone, said once.

    `throttle` bounds repeated WARNING+ records (default: 5 of a kind per 60 s)."""
    log_dir = Path(log_dir)
    path = log_dir / f"{service}.log"
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    formatter = KeyValueFormatter(service)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    problem = unwritable_reason(log_dir, path)
    if problem is None:
        # Several processes write one file (the backend runs 2 server processes): a plain
        # RotatingFileHandler would rotate from each of them and lose lines; this one takes
        # a file lock around writes and rotation (also on Windows).
        handlers.append(
            ConcurrentRotatingFileHandler(
                str(path),
                maxBytes=MAX_BYTES,
                backupCount=BACKUP_COUNT,
                encoding="utf-8",
                delay=True,
            )
        )
    # On the handlers, not the root logger: a logger's filters never see records that
    # propagate up from child loggers. One instance for both, so they agree on what to drop.
    throttle = RepeatThrottle() if throttle is None else throttle
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(throttle)
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # Per-request chatter from these libraries drowns the state changes we care about.
    for noisy in ("werkzeug", "urllib3", "websocket", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if problem is not None:
        # Said once and plainly, instead of a traceback per record from the file handler.
        logging.getLogger(__name__).warning(
            "file logs are off, logging to stderr only: cannot write %s (%s); "
            "make LOG_DIR writable by uid %s or point LOG_DIR elsewhere",
            path,
            problem,
            os.getuid() if hasattr(os, "getuid") else "of this process",
        )
        return None
    return path


def unwritable_reason(log_dir: Path, path: Path) -> str | None:
    """Why `path` (and the rotation lock beside it) cannot be written, or None when it can.

    Tried for real (create the directory, append to the file, create and remove a file
    beside it): permission bits say nothing about ACLs, read-only mounts or a root-owned
    bind mount seen from a container's unprivileged user."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
        probe = log_dir / f".{path.name}.{os.getpid()}.probe"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return None
