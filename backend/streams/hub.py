"""One Redis pub/sub connection per backend process, fanned out to every open event stream.

A stream gets a bounded queue of ready SSE frames (`Listener`). A message is decoded and
framed once, however many streams listen to its channel. A listener whose queue is full (its
client stopped reading) is closed rather than allowed to grow: its client reconnects and
re-reads state over HTTP, as after any gap. When the pub/sub connection fails every listener
is closed the same way and the next stream to open connects again; nothing is re-subscribed
silently, since the events missed in between would go unnoticed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

QUEUE_FRAMES = 256  # frames a stream may fall behind before it is closed
CLOSED = None  # the queue item that ends a stream
FAN_OUT_SLICE = 64  # streams woken per loop iteration when one message reaches many


class Listener:
    """One stream's queue of frames; `CLOSED` (None) arrives once when it must end."""

    def __init__(self, channel: str, size: int = QUEUE_FRAMES):
        self.channel = channel
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(size + 1)  # + room for CLOSED
        self.closed = False
        self.overflowed = False

    def offer(self, frame: bytes) -> None:
        """Queue a frame; a full queue closes the listener instead of waiting."""
        if self.closed:
            return
        if self.queue.qsize() >= self.queue.maxsize - 1:
            self.overflowed = True
            self.close()
            return
        self.queue.put_nowait(frame)

    def close(self) -> None:
        """End the stream after the frames already queued; safe to call twice."""
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(CLOSED)


class EventHub:
    """Subscribes to channels on demand and hands each message to its channels' listeners."""

    def __init__(self, redis: Redis, frame: Callable[[dict], str | None]):
        self.redis = redis
        self.frame = frame  # event dict -> SSE text, or None to skip it
        self._pubsub = None
        self._reader: asyncio.Task | None = None
        self._reader_for = None  # the pub/sub connection `_reader` reads
        self._listeners: dict[str, set[Listener]] = {}
        self._confirmed: dict[str, asyncio.Future] = {}
        self._lock = asyncio.Lock()
        self._closing = False
        self._tasks: set[asyncio.Task] = set()  # unsubscribes in flight (kept from the GC)

    @property
    def listener_count(self) -> int:
        """How many streams this process is serving."""
        return sum(len(group) for group in self._listeners.values())

    async def listen(self, channel: str, timeout: float = 5.0) -> Listener:
        """A listener on `channel`, returned once Redis has confirmed the subscription (so an
        event published after this returns reaches it). Raises RedisError or TimeoutError."""
        if self._closing:
            raise RedisError("the event hub is shutting down")
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self.redis.pubsub()
            group = self._listeners.setdefault(channel, set())
            listener = Listener(channel)
            group.add(listener)
            if channel not in self._confirmed:
                self._confirmed[channel] = asyncio.get_running_loop().create_future()
                try:
                    await self._pubsub.subscribe(channel)
                except (RedisError, OSError):
                    self._drop(listener)
                    await self._reset()
                    raise
            if self._reader_for is not self._pubsub:  # a new connection: a reader of its own
                self._reader_for = self._pubsub
                self._reader = asyncio.create_task(self._read(self._pubsub))
            confirmed, pubsub = self._confirmed[channel], self._pubsub
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), timeout)
        except TimeoutError:
            # Redis took the command but never answered: the connection is presumed dead.
            self.leave(listener)
            async with self._lock:
                if self._pubsub is pubsub:
                    await self._reset()
            raise
        except BaseException:
            self.leave(listener)
            raise
        return listener

    def leave(self, listener: Listener) -> None:
        """Forget a listener; the channel is unsubscribed when it was the last one."""
        listener.close()
        if self._drop(listener) and self._pubsub is not None and not self._closing:
            task = asyncio.create_task(self._unsubscribe(listener.channel))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _drop(self, listener: Listener) -> bool:
        """Remove the listener; True when its channel has no listener left."""
        group = self._listeners.get(listener.channel)
        if group is None:
            return False
        group.discard(listener)
        if group:
            return False
        del self._listeners[listener.channel]
        confirmed = self._confirmed.pop(listener.channel, None)
        if confirmed is not None and not confirmed.done():
            confirmed.cancel()
        return True

    async def _unsubscribe(self, channel: str) -> None:
        async with self._lock:
            if channel in self._listeners or self._pubsub is None:
                return  # a new stream took the channel again meanwhile
            try:
                await self._pubsub.unsubscribe(channel)
            except (RedisError, OSError) as exc:
                logger.warning("event hub unsubscribe failed channel=%s error=%s", channel, exc)

    async def _read(self, pubsub) -> None:
        """Deliver messages until the connection fails or the hub closes."""
        try:
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is not None:
                    await self._dispatch(message)
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError, RuntimeError) as exc:
            if not self._closing:
                logger.warning("event hub lost redis streams=%s error=%s", self.listener_count, exc)
            async with self._lock:
                if self._pubsub is pubsub:
                    await self._reset()

    async def _dispatch(self, message: dict) -> None:
        kind, channel = message.get("type"), message.get("channel")
        if kind == "subscribe":
            confirmed = self._confirmed.get(channel)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(True)
            return
        if kind != "message" or channel not in self._listeners:
            return
        try:
            frame = self.frame(json.loads(message["data"]))
        except ValueError:
            logger.warning("events bad payload channel=%s", channel)
            return
        if not frame:
            return
        data = frame.encode("utf-8")
        listeners = list(self._listeners[channel])
        for start in range(0, len(listeners), FAN_OUT_SLICE):
            if start:
                # Let the loop serve other requests between slices: waking 500 streams at
                # once would hold every request that arrives meanwhile for tens of ms.
                await asyncio.sleep(0)
            for listener in listeners[start : start + FAN_OUT_SLICE]:
                listener.offer(data)
                if listener.overflowed:
                    logger.warning("sse stream too slow, closed channel=%s", channel)
                    self._drop(listener)

    async def _reset(self) -> None:
        """Close every listener and the connection; the next `listen` connects again."""
        for group in self._listeners.values():
            for listener in group:
                listener.close()
        for confirmed in self._confirmed.values():
            if not confirmed.done():
                confirmed.set_exception(RedisError("pub/sub connection lost"))
                confirmed.exception()  # mark retrieved: a stream may not be waiting on it
        self._listeners, self._confirmed = {}, {}
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except (RedisError, OSError) as exc:
                logger.debug("event hub close error=%s", exc)

    def close_all(self) -> None:
        """End every open stream (shutdown); new streams are refused from now on."""
        self._closing = True
        for group in self._listeners.values():
            for listener in group:
                listener.close()

    async def aclose(self) -> None:
        """Stop reading and close the connection."""
        self.close_all()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        async with self._lock:
            await self._reset()
