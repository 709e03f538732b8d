"""The app behind the real ASGI server (uvicorn + backend.serving.asgi) in a thread, on a free port,
and raw-socket clients for what `requests` cannot do (a body that trickles)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterator

import uvicorn

from backend.serving.asgi import StudioASGI
from backend.serving.server import uvicorn_options
from tests.backend.helpers import header_lines
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


def trickler(url: str, headers: dict[str, str], length: int = 1000) -> socket.socket:
    """A POST /api/generate (with these credentials) that promises `length` bytes and sends
    one."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(
        f"POST /api/generate HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{header_lines(headers)}Content-Length: {length}\r\n\r\n{{".encode()
    )
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict, dict]:
    """Status, headers and JSON body of one response (the server closes after it)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)
