"""Raw HTTP/1.1 over sockets, for tests that need what a client library hides: one
connection kept across requests, a head sent in pieces, a stream left open. A reply is read
whole (head, then its Content-Length body), never with one recv(): TCP may deliver the head
and body in separate segments (a test that read once later found the last body where it
expected the next head)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class RawReply:
    """A response read off a raw socket (the socket stays open for streams)."""

    status: int
    headers: dict[str, str]
    body: bytes
    sock: socket.socket

    def json(self) -> dict:
        """The body as JSON."""
        return json.loads(self.body)


def connect(url: str, timeout: float = 10) -> socket.socket:
    """A TCP connection to the studio's host and port."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request_head(url: str, method: str, path: str, headers: dict[str, str]) -> bytes:
    """The request line and headers of an HTTP/1.1 request, as bytes."""
    host = urlsplit(url).netloc
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_reply(sock: socket.socket) -> RawReply:
    """Read one response head and its Content-Length body (a stream's body stays unread)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawReply(int(status_line.split()[1]), headers, body, sock)


def raw_get(url: str, path: str, headers: dict[str, str]) -> RawReply:
    """GET over a fresh socket, left open (a stream goes on on it)."""
    sock = connect(url)
    sock.sendall(request_head(url, "GET", path, headers))
    return read_reply(sock)
