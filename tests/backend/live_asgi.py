"""The app behind the real ASGI server (uvicorn + backend.asgi) in a thread, on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import uvicorn

from backend.asgi import StudioASGI
from backend.server import uvicorn_options
from tests.helpers import wait_until


@contextlib.contextmanager
def serve_in_thread(app, threads: int = 8) -> Iterator[str]:
    """Serve `app` as `python -m backend` does (one process); yields the base URL."""
    asgi = StudioASGI(app, threads=threads)
    options = uvicorn_options(app.extensions["studio"].settings, workers=1)
    for key in ("host", "port", "workers", "factory"):
        options.pop(key)
    server = uvicorn.Server(uvicorn.Config(asgi, **options))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), 10, "server started")
        assert server.started, "the server did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        asgi.begin_shutdown()
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
