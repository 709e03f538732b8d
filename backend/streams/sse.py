"""`GET /api/events` served on the event loop: an open stream costs a coroutine, not a thread.

The wire format is the Flask route's (backend.api.events): `retry: 2000`, then `event: job`
frames and `: ping` comments every SSE_PING_S. A stream opens only when the caller is
identified (backend.auth.identify, else 401), holds one of its user's STREAMS_PER_USER slots
(backend.streams.leases, else 429 `too_many_streams`) and Redis confirmed the subscription
(else 503); it ends when the client goes away, when the server shuts down, when Redis is
lost, or when the client reads too slowly to keep up (it reconnects and re-reads state).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass

from redis.exceptions import RedisError

from backend.api.events import RETRY_MS, job_frame
from backend.asgi_http import response_headers, scope_headers, send_json_error
from backend.auth import identify
from backend.client_address import ProxyTrust, scope_address
from backend.errors import OUTAGE_RETRY_AFTER
from backend.streams.hub import CLOSED, EventHub, Listener
from backend.streams.leases import StreamLeases, lease_seconds
from studio_core.redis_client import connect_redis_async

logger = logging.getLogger("backend.api.events")

PATH = "/api/events"
ENDPOINT = "events.events"  # the Flask endpoint's name, so metrics and logs read the same
PING = b": ping\n\n"
_HEADERS = [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]


class Refusal(Exception):
    """A stream that may not open: answered as a JSON error."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


@dataclass
class OpenStream:
    """One open stream, as the process's ping ticker sees it."""

    user: int
    stream_id: str
    listener: Listener
    task: asyncio.Task
    closed_ticks: int = 0  # ticks seen since its listener closed (it should end at once)
    cut: bool = False  # cancelled by the ticker: its client stopped reading


class NativeEvents:
    """The ASGI handler of `/api/events` for one process; `start()` it in the serving loop."""

    def __init__(self, flask_app):
        self.studio = flask_app.extensions["studio"]
        self.settings = self.studio.settings
        self.proxy_trust = ProxyTrust.from_settings(self.settings)
        self.observe = flask_app.extensions["studio_observe"]
        self.hub: EventHub | None = None
        self.leases: StreamLeases | None = None
        self._redis = None
        self._streams: dict[str, OpenStream] = {}
        self._ticker: asyncio.Task | None = None

    async def start(self) -> None:
        """Connect (lazily: nothing is sent to Redis before the first stream)."""
        self._redis = connect_redis_async(self.settings.redis_url)
        self.hub = EventHub(self._redis, job_frame)
        lease_s = lease_seconds(self.settings.sse_ping_s)
        self.leases = StreamLeases(
            self._redis, self.settings.streams_per_user, lease_s, self.studio.events.prefix
        )
        self._ticker = asyncio.create_task(self._tick())

    def close_all(self) -> None:
        """End every open stream now (the server is shutting down)."""
        if self.hub is not None:
            self.hub.close_all()

    async def stop(self) -> None:
        """End the streams and close the Redis connections."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        if self.hub is not None:
            await self.hub.aclose()
        if self._redis is not None:
            await self._redis.aclose()

    async def __call__(self, scope: dict, receive, send) -> None:
        started = time.perf_counter()
        ip = scope_address(scope, self.proxy_trust)
        try:
            user, stream_id, listener = await self._open(scope, ip)
        except Refusal as refusal:
            await send_json_error(
                send, refusal.status, refusal.code, refusal.message, refusal.retry_after
            )
            self.observe(ENDPOINT, "GET", refusal.status, time.perf_counter() - started, PATH, ip)
            return
        self.observe(ENDPOINT, "GET", 200, time.perf_counter() - started, PATH, ip)
        logger.info("sse opened user=%s", user)
        stream = OpenStream(user, stream_id, listener, asyncio.current_task())
        self._streams[stream_id] = stream
        try:
            await self._stream(user, listener, receive, send)
        except asyncio.CancelledError:
            if not stream.cut:
                raise
            # Ending here closes the connection: its client took no bytes for a whole ping.
            logger.warning("sse client stopped reading, cut off user=%s", user)
        finally:
            del self._streams[stream_id]
            self.hub.leave(listener)
            try:
                await self.leases.release(user, stream_id)
            except (RedisError, OSError) as exc:  # the lease runs out by itself
                logger.warning("sse release failed user=%s error=%s", user, exc)
            logger.info("sse closed user=%s", user)

    async def _open(self, scope: dict, ip: str | None) -> tuple[int, str, Listener]:
        """Identify the caller, take a slot, subscribe; raises Refusal."""
        headers = scope_headers(scope)
        # identify() may read SQL: a thread, so the loop never waits on it.
        identity = await asyncio.to_thread(identify, self.studio, headers, ip)
        if identity is None:
            raise Refusal(401, "unauthorized", "Sign in (session cookie or API token) first.")
        user, stream_id = identity.user_id, uuid.uuid4().hex
        events = self.studio.events
        channel = events.all_channel if identity.is_admin else events.user_channel(user)
        try:
            if not await self.leases.acquire(user, stream_id):
                cap = self.settings.streams_per_user
                raise Refusal(
                    429,
                    "too_many_streams",
                    f"At most {cap} open event streams per user; close one (another tab?) "
                    "and retry.",
                    int(self.settings.sse_ping_s) + 1,
                )
            return user, stream_id, await self.hub.listen(channel)
        except (RedisError, OSError, TimeoutError) as exc:
            logger.error("sse cannot subscribe user=%s error=%s", user, exc)
            with contextlib.suppress(RedisError, OSError):  # the lease runs out by itself
                await self.leases.release(user, stream_id)
            raise Refusal(
                503,
                "redis_unavailable",
                "The queue service (Redis) is unavailable; retry shortly.",
                OUTAGE_RETRY_AFTER,
            ) from exc

    async def _stream(self, user: int, listener: Listener, receive, send) -> None:
        """Frames (pings included, from the ticker) until the listener closes."""
        watcher = asyncio.create_task(_close_on_disconnect(receive, listener))
        try:
            headers = response_headers(b"text/event-stream; charset=utf-8", _HEADERS)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await _write(send, f"retry: {RETRY_MS}\n\n".encode())
            while (frame := await listener.queue.get()) is not CLOSED:
                await _write(send, frame)
            if listener.overflowed:
                logger.warning("sse client too slow, stream closed user=%s", user)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()

    async def _tick(self) -> None:
        """Every SSE_PING_S: a ping to every stream, one lease refresh for all of them, and
        the end of streams stuck on a client that takes no bytes."""
        while True:
            await asyncio.sleep(self.settings.sse_ping_s)
            streams = list(self._streams.values())
            for stream in streams:
                if not stream.listener.closed:
                    stream.listener.offer(PING)
                    continue
                stream.closed_ticks += 1
                if stream.closed_ticks >= 2 and not stream.cut:
                    stream.cut = True
                    stream.task.cancel()
            if not streams:
                continue
            try:
                await self.leases.refresh([(s.user, s.stream_id) for s in streams])
            except (RedisError, OSError) as exc:
                # The clients reconnect after `retry` and re-read state over HTTP.
                logger.warning(
                    "sse lease refresh lost redis streams=%s error=%s", len(streams), exc
                )
                for stream in streams:
                    stream.listener.close()


async def _write(send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _close_on_disconnect(receive, listener: Listener) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    listener.close()
