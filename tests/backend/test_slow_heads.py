"""Request heads have a deadline (HEAD_TIMEOUT_S): a connection that sends nothing, or
trickles header lines, is closed, while idle keep-alive connections, slow-but-timely heads
and open event streams are left alone (issue 9: one client holding thousands of silent
sockets made every process answer 503)."""

from __future__ import annotations

import contextlib
import socket
import time

import requests

from tests.backend.helpers import bearer, header_lines
from tests.backend.live_asgi import serve_in_thread
from tests.raw_http import connect, read_reply

HEAD_S = 1


def _connect(url: str) -> socket.socket:
    return connect(url, timeout=HEAD_S + 4)


def _closed_after(sock: socket.socket, started: float) -> float:
    """Seconds from `started` until the server closed the connection (it sends nothing)."""
    assert sock.recv(65536) == b""
    return time.monotonic() - started


def _get(sock: socket.socket, path: str) -> int:
    """Status of a GET on this kept-alive connection (the whole reply read, body included)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return read_reply(sock).status


def test_silent_and_trickling_heads_are_closed_and_others_served(make_app):
    app = make_app(HEAD_TIMEOUT_S=HEAD_S)
    with serve_in_thread(app, threads=2) as url:
        started = time.monotonic()
        silent = [_connect(url) for _ in range(50)]
        trickling = [_connect(url) for _ in range(50)]
        for sock in trickling:
            sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
        for _ in range(int(HEAD_S / 0.25) + 4):  # a header line every 0.25 s, past the deadline
            time.sleep(0.25)
            for sock in trickling:
                with contextlib.suppress(OSError):  # closed by the server: the point
                    sock.sendall(b"X-Slow: 1\r\n")
            assert requests.get(url + "/livez", timeout=2).status_code == 200
        waits = [_closed_after(sock, started) for sock in silent + trickling]
        assert min(waits) > HEAD_S - 0.2 and max(waits) < HEAD_S + 2.5, waits
        for sock in silent + trickling:
            sock.close()


def test_timely_heads_idle_keep_alive_and_open_streams_stay(make_app):
    app = make_app(HEAD_TIMEOUT_S=HEAD_S, SSE_PING_S=0.2)
    auth = bearer(app)
    with serve_in_thread(app, threads=2) as url:
        keep_alive = _connect(url)
        assert _get(keep_alive, "/livez") == 200
        stream = _connect(url)
        stream.sendall(f"GET /api/events HTTP/1.1\r\nHost: x\r\n{header_lines(auth)}\r\n".encode())
        opened = b""
        while b"retry:" not in opened:
            opened += stream.recv(65536)
        assert opened.startswith(b"HTTP/1.1 200")
        slow = _connect(url)
        for line in (b"GET /livez HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
            time.sleep(HEAD_S / 4)  # a whole head within the deadline, in pieces
            slow.sendall(line)
        assert read_reply(slow).status == 200
        time.sleep(HEAD_S * 2.5)
        # Idle between requests (the keep-alive timeout is 120 s): still usable.
        assert _get(keep_alive, "/livez") == 200
        assert _get(slow, "/livez") == 200
        pings = b""
        while b": ping" not in pings:  # the stream goes on
            chunk = stream.recv(65536)
            assert chunk, "the stream was closed"
            pings += chunk
        for sock in (keep_alive, stream, slow):
            sock.close()
