"""A transparent loopback proxy in front of ComfyUI that timestamps every `progress` frame.

A second WebSocket client on ComfyUI cannot see frames routed to the worker's clientId, so
the bench puts this tap on the wire instead: the worker talks to the tap, the tap relays
HTTP and the WebSocket both ways, and notes `time.perf_counter()` the moment each
`progress` frame arrives from ComfyUI. The tap runs an asyncio loop in a thread of the
bench process, so its stamps and the SSE reader's (same loop) share one clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}


@dataclass
class ProgressFrame:
    """One `progress` frame as it passed the tap."""

    at: float
    prompt_id: str
    value: int
    maximum: int


@dataclass
class WsTap:
    """The proxy: `start()` in a background loop, point the worker at `url`."""

    upstream: str
    frames: list[ProgressFrame] = field(default_factory=list)
    url: str = ""
    loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        """Start the loop thread and the proxy on a free loopback port."""
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="ws-tap", daemon=True)
        self._thread.start()
        self.call(self._start())

    def call(self, coro: Awaitable, timeout: float = 30) -> object:
        """Run a coroutine on the tap's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def spawn(self, factory: Callable[[], Awaitable]) -> asyncio.Future:
        """Start a coroutine on the tap's loop without waiting (e.g. an SSE reader)."""
        return asyncio.run_coroutine_threadsafe(factory(), self.loop)

    def stop(self) -> None:
        """Close the proxy and end the loop thread."""
        if self.loop is None:
            return
        self.call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        app = web.Application(client_max_size=256 * 1024**2)
        app.router.add_get("/ws", self._ws)
        app.router.add_route("*", "/{tail:.*}", self._http)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        await self._runner.cleanup()
        await self._session.close()

    async def _http(self, request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method,
            self.upstream + request.rel_url.path_qs,
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as upstream:
            body = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=upstream.status, body=body, headers=out)

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        client = web.WebSocketResponse(heartbeat=None)
        await client.prepare(request)
        ws_upstream = self.upstream.replace("http", "ws", 1) + request.rel_url.path_qs
        async with self._session.ws_connect(ws_upstream, max_msg_size=0) as server:

            async def downstream() -> None:
                async for msg in server:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        self._note(msg.data)
                        await client.send_str(msg.data)
                    elif msg.type == aiohttp.WSMsgType.BINARY:
                        await client.send_bytes(msg.data)
                await client.close()

            relay = asyncio.ensure_future(downstream())
            try:
                async for msg in client:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        await server.send_str(msg.data)
                    elif msg.type == aiohttp.WSMsgType.BINARY:
                        await server.send_bytes(msg.data)
            finally:
                relay.cancel()
        return client

    def _note(self, text: str) -> None:
        at = time.perf_counter()  # first thing: the frame just came off ComfyUI's socket
        if '"progress"' not in text:
            return
        message = json.loads(text)
        if message.get("type") == "progress":
            data = message["data"]
            self.frames.append(ProgressFrame(at, data["prompt_id"], data["value"], data["max"]))
