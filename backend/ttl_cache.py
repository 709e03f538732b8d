"""A value recomputed at most every few seconds, shared by the threads of one process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TTLCache(Generic[T]):
    """One value recomputed at most every `ttl` seconds (thread-safe; 0 disables caching).

    A failing `compute` raises to the caller and leaves the cache stale, so an outage is
    reported on every call rather than hidden behind an old value. The lock is not held while
    computing: with a hung dependency each caller waits for its own timeout, not for every
    caller queued before it.
    """

    def __init__(self, ttl: float, compute: Callable[[], T]):
        self.ttl = ttl
        self.compute = compute
        self._lock = threading.Lock()
        self._value: T | None = None
        self._at = float("-inf")

    def get(self) -> T:
        """The cached value, recomputed when stale."""
        with self._lock:
            if time.monotonic() - self._at < self.ttl:
                return self._value  # type: ignore[return-value]
        value = self.compute()
        with self._lock:
            self._value, self._at = value, time.monotonic()
        return value
