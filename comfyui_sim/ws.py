"""WebSocket side: the client-id -> socket map, one ordered publisher, and the /ws handler."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

SERVER_FEATURES = {"supports_preview_metadata": True, "max_upload_size": 104857600}
PREVIEW_IMAGE = 1
PREVIEW_IMAGE_WITH_METADATA = 4
_SEND_ERRORS = (aiohttp.ClientError, ConnectionError, RuntimeError)


class SocketHub:
    """Sockets by client id; every frame goes through one queue so order is global."""

    def __init__(self) -> None:
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.flags: dict[str, dict[str, Any]] = {}
        self._outbox: asyncio.Queue[tuple[str, Any, str | None]] = asyncio.Queue()
        self._publisher: asyncio.Task | None = None

    def start(self) -> None:
        """Start the publisher task (inside the running loop)."""
        self._publisher = asyncio.get_running_loop().create_task(self._publish())

    async def stop(self) -> None:
        """Stop publishing and close every socket."""
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        await self._close_all()

    def send(self, event: str, data: dict[str, Any], sid: str | None = None) -> None:
        """Queue a `{"type", "data"}` text frame: to `sid`, or to everyone when sid is None."""
        self._outbox.put_nowait(("json", {"type": event, "data": data}, sid))

    def send_bytes(self, event: int, payload: bytes, sid: str | None) -> None:
        """Queue a binary frame: 4-byte big-endian event type, then the payload."""
        self._outbox.put_nowait(("bytes", struct.pack(">I", event) + payload, sid))

    def close_all(self) -> None:
        """Queue a close of every socket (after the frames already queued)."""
        self._outbox.put_nowait(("close", None, None))

    async def drain(self, timeout: float = 2.0) -> None:
        """Wait until queued frames are written (best effort, bounded)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._outbox.join(), timeout)

    def wants_preview_metadata(self, sid: str | None) -> bool:
        """True when this client announced supports_preview_metadata in its first frame."""
        return bool(sid and self.flags.get(sid, {}).get("supports_preview_metadata"))

    async def _publish(self) -> None:
        while True:
            kind, payload, sid = await self._outbox.get()
            try:
                if kind == "close":
                    await self._close_all()
                    continue
                targets = (
                    list(self.sockets.values())
                    if sid is None
                    else [self.sockets[sid]]
                    if sid in self.sockets
                    else []
                )
                for ws in targets:
                    await _send(ws, kind, payload)
            finally:
                self._outbox.task_done()

    async def _close_all(self) -> None:
        sockets = list(self.sockets.values())
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        logger.info("closed all websockets count=%s", len(sockets))


async def _send(ws: web.WebSocketResponse, kind: str, payload: Any) -> None:
    try:
        if kind == "json":
            await ws.send_str(json.dumps(payload))
        else:
            await ws.send_bytes(payload)
    except _SEND_ERRORS as exc:
        logger.warning("send error on websocket error=%s", exc)


def ws_handler(
    hub: SocketHub, queue_info: Callable[[], dict], current_node: Callable[[str], str | None]
) -> Callable:
    """The /ws handler; `current_node(sid)` is the node running for that client, if any."""

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=2.0)  # bounds the close handshake of a dropped socket
        await ws.prepare(request)
        sid = request.query.get("clientId", "")
        if sid:
            hub.sockets.pop(sid, None)  # reusing a client id replaces the earlier socket
        else:
            sid = uuid.uuid4().hex
        # Initial frames go out before the socket joins the map so they are always first.
        await _send(ws, "json", {"type": "status", "data": {"status": queue_info(), "sid": sid}})
        node = current_node(sid)
        if node is not None:
            await _send(ws, "json", {"type": "executing", "data": {"node": node}})
        hub.sockets[sid] = ws
        hub.flags[sid] = {}
        logger.info("websocket connected sid=%s", sid)
        first = True
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except json.JSONDecodeError:
                    logger.warning("invalid json on websocket sid=%s", sid)
                    continue
                if first and isinstance(data, dict) and data.get("type") == "feature_flags":
                    hub.flags[sid] = data.get("data") or {}
                    hub.send("feature_flags", SERVER_FEATURES, sid)
                first = False
        finally:
            # ComfyUI pops the sid unconditionally; we keep a newer socket that took it over,
            # so a fast reconnect after a dropped socket never loses its messages.
            if hub.sockets.get(sid) is ws:
                hub.sockets.pop(sid, None)
                hub.flags.pop(sid, None)
            logger.info("websocket closed sid=%s", sid)
        return ws

    return handle
