"""A logging filter that bounds floods of one repeated warning or error.

Measured: during a database outage a worker wrote 3,495 tracebacks in 20 s (19,021 with a
full disk), and the rotated logs (5 MB x 3) lost all earlier history in seconds. So each
kind of WARNING-or-worse record (logger, level, message template, exception type) may pass
`limit` times per `window` seconds; the rest are dropped and counted, and the first record
of that kind let through after the window says `repeated=<n> suppressed in the last <s> s`.
INFO and below always pass: per-job state lines must never be lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Set on a record once decided, so one filter shared by several handlers counts it once and
# every handler writes (or drops) the same records.
_DECISION = "_studio_throttle_passed"


@dataclass
class _Window:
    started: float
    passed: int = 1
    suppressed: int = 0


class RepeatThrottle(logging.Filter):
    """Let each kind of WARNING+ record through `limit` times per `window` s (thread-safe)."""

    def __init__(
        self,
        limit: int = 5,
        window: float = 60.0,
        *,
        max_keys: int = 1024,
        min_level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.min_level = min_level
        self._clock = clock
        self._lock = threading.Lock()
        # Least recently seen first; bounded so a flood of distinct messages cannot grow it.
        self._windows: OrderedDict[tuple, _Window] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        """True to write the record; False once its kind used up the current window."""
        if record.levelno < self.min_level:
            return True
        decided = getattr(record, _DECISION, None)
        if decided is not None:
            return decided
        passed = self._decide(record)
        setattr(record, _DECISION, passed)
        return passed

    def _decide(self, record: logging.LogRecord) -> bool:
        key = _key(record)
        with self._lock:
            now = self._clock()
            window = self._windows.get(key)
            if window is not None and now - window.started < self.window:
                self._windows.move_to_end(key)
                if window.passed < self.limit:
                    window.passed += 1
                    return True
                window.suppressed += 1
                return False
            self._windows[key] = _Window(started=now)
            self._windows.move_to_end(key)
            while len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
        if window is not None and window.suppressed:
            # Literal text without '%': the record's own args still format as before.
            record.msg = (
                f"{record.msg} repeated={window.suppressed} suppressed "
                f"in the last {now - window.started:.0f} s"
            )
        return True


def _key(record: logging.LogRecord) -> tuple:
    """What makes two records "the same": the message template, not its arguments, so one
    failing call in a retry loop is one key however its job id or error text varies."""
    exc_type = record.exc_info[0] if record.exc_info else None
    exc_name = f"{exc_type.__module__}.{exc_type.__qualname__}" if exc_type else None
    return (record.name, record.levelno, str(record.msg), exc_name)
