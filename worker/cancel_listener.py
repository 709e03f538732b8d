"""Cancel requests pushed by the backend over Redis pub/sub, delivered to a callback.

Pub/sub is fire-and-forget, so the worker also checks `is_cancel_requested` at stage
boundaries and on a timer; this listener only makes cancels fast.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis as redis_lib

from worker.engine_probe import retry_delay

logger = logging.getLogger(__name__)


class CancelListener:
    """Subscribes to the queue's cancel channel and calls `on_cancel(job_id)` per message."""

    def __init__(self, redis, channel: str, on_cancel: Callable[[str], None]):
        self.redis = redis
        self.channel = channel
        self.on_cancel = on_cancel
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start listening on a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="cancel-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if pubsub.subscribed:
                        self.subscribed.set()
                        failures = 0
                    if message and message["type"] == "message":
                        self.on_cancel(message["data"])
            except redis_lib.RedisError as exc:
                self.subscribed.clear()
                failures += 1
                logger.warning("cancel listener lost Redis error=%s", exc)
                self._stop.wait(retry_delay(failures, 5.0))
            finally:
                pubsub.close()
