"""Tools of a stranger on the network for the issue-9 experiments: raw HTTP over sockets,
accounts made through the public API, latency probes and the backend's resident memory."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from studio_ops.live_stack import LiveStudio


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


def make_user(studio: LiveStudio, username: str, password: str = "user-password-0123"):
    """Create a plain user as the admin; (cookie session with .csrf, an API token)."""
    resp = requests.post(
        studio.url + "/api/users",
        json={"username": username, "password": password, "role": "user"},
        headers=studio.headers,
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    session = studio.login(username, password)
    session.headers["X-CSRF-Token"] = session.csrf
    token = session.post(studio.url + "/api/auth/tokens", json={"name": "t"}, timeout=10)
    assert token.status_code == 201, token.text
    return session, token.json()["token"]


def p99_ms(fetch, count: int = 100) -> float:
    """The 99th percentile latency (ms) of `count` calls of `fetch`, each asserted 200."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        resp = fetch()
        samples.append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 200, resp.text[:200]
    return sorted(samples)[int(0.99 * count) - 1]


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_mb(pids: list[int]) -> float:
    """The summed VmRSS of these processes, in MB (gone processes count 0)."""
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


HAS_PROC = os.path.isdir("/proc/self/task")
# A p99 above this means requests waited on something held (a thread, a trickling body),
# not that the machine was busy: the starved answers these rows guard against took seconds.
STARVED_MS = 1000.0
