"""The worker's periodic chores on one thread: heartbeat, reaping, reconcile, cancels, retention.

Each chore has its own period; a failing chore (Redis or SQL down) is logged and retried at
its next turn, never allowed to kill the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis as redis_lib
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)


@dataclass
class Chore:
    """A named periodic task."""

    name: str
    period: float
    run: Callable[[], object]
    due: float = 0.0  # monotonic time of the next run; 0 = at once


class Housekeeping:
    """Runs chores on a daemon thread until stopped."""

    def __init__(self, chores: list[Chore], name: str = "housekeeping"):
        self.chores = chores
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (chores with due=0 run immediately)."""
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current chore."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_due(self) -> None:
        """Run every chore whose time has come (also handy in tests)."""
        now = time.monotonic()
        for chore in self.chores:
            if chore.due > now:
                continue
            chore.due = now + chore.period
            try:
                chore.run()
            except (redis_lib.RedisError, SQLAlchemyError, OSError) as exc:
                logger.warning("chore=%s failed error=%s", chore.name, exc)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            next_due = min(c.due for c in self.chores) if self.chores else time.monotonic() + 1
            self._stop.wait(max(0.05, next_due - time.monotonic()))
