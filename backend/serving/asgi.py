"""The ASGI app `python -m backend` serves: event streams on the loop, the rest in Flask.

    GET /api/events    backend.streams.sse (native asyncio; one coroutine per open stream)
    everything else    body read on the loop (backend.serving.body), then the Flask app in a
                       pool of THREADS threads (backend.serving.wsgi_bridge)

A body is read only for a caller its headers identify (a session cookie or an API token,
checked on a thread since it may read SQL) or for the login route: a stranger's POST goes to
Flask without its body, which answers it at once (401 from backend.gate, with the headers
every answer carries). uvicorn then drops the rest of the body as it arrives and keeps the
connection (closing it with body bytes unread would make the kernel reset it, and a client
still sending could lose the 401); one that trickles it meets HEAD_TIMEOUT_S, since bytes
after a response count as the next head (backend.serving.protocol). Strangers cannot make the
backend wait for, or spool to disk, MAX_UPLOAD_MB of body each.

Lifespan: startup connects the streams' Redis client; a shutdown signal ends every open
stream at once (so the server's graceful wait is not spent on endless responses); shutdown
closes Redis and the thread pool.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time

from flask import Flask

from backend.asgi_http import scope_headers, send_json_error
from backend.auth import ENVIRON_KEY, identify
from backend.client_address import ProxyTrust, scope_address
from backend.gate import PUBLIC_ENDPOINTS
from backend.serving.body import BodyRefused, ClientGone, declared_length, has_body, read_body
from backend.serving.wsgi_bridge import WSGIBridge
from backend.streams.sse import PATH, NativeEvents

logger = logging.getLogger(__name__)

THREADS = 32  # Flask requests at once per process (streams take none)
_EXIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
)


class StudioASGI:
    """Routes one process's requests; see the module docstring."""

    def __init__(self, flask_app: Flask, threads: int = THREADS):
        self.flask_app = flask_app
        self.studio = flask_app.extensions["studio"]
        self.settings = self.studio.settings
        # Read by the server's protocol (backend.serving.protocol) on every connection.
        self.head_timeout_s = self.settings.head_timeout_s
        self.proxy_trust = ProxyTrust.from_settings(self.settings)
        self.observe = flask_app.extensions["studio_observe"]
        self.events = NativeEvents(flask_app)
        self.wsgi = WSGIBridge(flask_app, threads)
        # Routes anyone may send a body to (the login form's POST).
        self.public_paths = frozenset(
            rule.rule
            for rule in flask_app.url_map.iter_rules()
            if rule.endpoint in PUBLIC_ENDPOINTS
        )
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
        elif scope["path"] == PATH and scope["method"] == "GET":
            await self.events(scope, receive, send)
        else:
            await self._to_flask(scope, receive, send)

    async def _to_flask(self, scope: dict, receive, send) -> None:
        started = time.perf_counter()
        if not has_body(scope):
            await self.wsgi(scope, None, send)
            return
        identity = None
        if scope["path"] not in self.public_paths:
            ip = scope_address(scope, self.proxy_trust)
            try:
                # identify() may read SQL: a thread, so the loop never waits on it.
                identity = await asyncio.to_thread(identify, self.studio, scope_headers(scope), ip)
            except Exception as exc:  # any driver error: the body is read, Flask answers it
                logger.warning("caller not identified before the body error=%s", exc)
            else:
                if identity is None:  # a stranger: see the module docstring
                    await self.wsgi(scope, None, send)
                    return
        try:
            body = await read_body(
                receive,
                declared_length(scope),
                self.flask_app.config.get("MAX_CONTENT_LENGTH"),
                self.settings.body_idle_timeout_s,
                self.settings.body_timeout_s,
            )
        except ClientGone:
            return
        except BodyRefused as refused:
            await send_json_error(send, refused.status, refused.code, refused.message, close=True)
            ip = scope_address(scope, self.proxy_trust)
            elapsed = time.perf_counter() - started
            self.observe(
                "request_body", scope["method"], refused.status, elapsed, scope["path"], ip
            )
            return
        try:
            # The identity goes along: Flask's gate need not read it again.
            await self.wsgi(scope, body, send, {ENVIRON_KEY: identity} if identity else None)
        finally:
            if body is not None:
                body.close()

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._loop = asyncio.get_running_loop()
                await self.events.start()
                _chain_exit_signals(self.begin_shutdown)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.events.stop()
                self.wsgi.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def begin_shutdown(self) -> None:
        """End every open stream; callable from any thread or a signal handler."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.events.close_all)


def _chain_exit_signals(on_exit) -> None:
    """Run `on_exit` first when the server is told to stop, then the server's own handler.

    The ASGI lifespan shutdown comes only after every connection has closed, which an
    endless event stream never does by itself.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # a server in a thread (tests) calls begin_shutdown() itself
    for sig in _EXIT_SIGNALS:
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum, frame, previous=previous):
            on_exit()
            previous(signum, frame)

        signal.signal(sig, handler)
