"""Job events over Redis pub/sub, for SSE endpoints.

Channels (prefix `studio:` by default):

    events:user:<user_id>   every event about one user's jobs
    events:all              every event (admins, the HUD)

Payloads are JSON objects with a `type`; job updates are `{"type": "job", "job": {...}}`
with the job as the API shows it. Pub/sub is fire-and-forget: a client that reconnects
re-reads state over HTTP, so nothing here needs to be durable.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT = 5.0


class EventBus:
    """Publishes job events per user and to the all-events channel; hands out subscriptions."""

    def __init__(self, redis, prefix: str = "studio:"):
        self.redis = redis
        self.prefix = prefix

    def user_channel(self, user_id: str | int) -> str:
        """The channel of one user's events."""
        return f"{self.prefix}events:user:{user_id}"

    @property
    def all_channel(self) -> str:
        """The channel carrying every event."""
        return f"{self.prefix}events:all"

    def publish(self, user_id: str | int, event: dict) -> int:
        """Send an event to the user's channel and the all channel; returns receivers."""
        payload = json.dumps(event, default=str)
        pipe = self.redis.pipeline(transaction=False)
        pipe.publish(self.user_channel(user_id), payload)
        pipe.publish(self.all_channel, payload)
        return sum(int(n) for n in pipe.execute())

    def publish_job(self, user_id: str | int, job: dict) -> int:
        """Send a job update (`{"type": "job", "job": job}`) to its owner and to admins."""
        return self.publish(user_id, {"type": "job", "job": job})

    def subscribe(
        self, user_id: str | int | None = None, admin: bool = False, timeout: float = 15.0
    ) -> Subscription:
        """Listen to one user's events, or to all of them when `admin` is true."""
        if admin:
            channels = [self.all_channel]
        elif user_id is None:
            raise ValueError("subscribe needs a user_id unless admin=True")
        else:
            channels = [self.user_channel(user_id)]
        return Subscription(self.redis, channels, timeout)


class Subscription:
    """Decoded events from some channels; iterating yields None every `timeout` seconds idle.

    The None lets an SSE endpoint send a keep-alive and notice a closed client. Use as a
    context manager or call `close()`; iteration also closes when the generator is closed.
    """

    def __init__(self, redis, channels: list[str], timeout: float):
        self.timeout = timeout
        self.channels = channels
        self._pubsub = redis.pubsub()
        self._pubsub.subscribe(*channels)
        self._closed = False
        # Wait for the server's confirmations: an event published right after subscribe()
        # returns must reach us.
        confirmed, deadline = 0, time.monotonic() + SUBSCRIBE_TIMEOUT
        while confirmed < len(channels):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise TimeoutError(f"Redis did not confirm subscription to {channels}")
            message = self._pubsub.get_message(timeout=remaining)
            if message and message["type"] == "subscribe":
                confirmed += 1

    def get(self, timeout: float | None = None) -> dict | None:
        """The next event, or None after `timeout` (default: the subscription's) seconds."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self._closed:
            remaining = deadline - time.monotonic()
            message = self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=max(remaining, 0)
            )
            if message and message["type"] == "message":
                try:
                    return json.loads(message["data"])
                except ValueError:
                    logger.warning("events bad payload channel=%s", message["channel"])
            elif remaining <= 0:
                return None
        return None

    def __iter__(self) -> Iterator[dict | None]:
        try:
            while not self._closed:
                yield self.get()
        finally:
            self.close()

    def close(self) -> None:
        """Unsubscribe and give the connection back; safe to call twice."""
        if not self._closed:
            self._closed = True
            self._pubsub.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
