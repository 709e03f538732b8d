"""Tools of a stranger on the network for the issue-9 experiments (raw HTTP: tests.raw_http):
accounts made through the public API, latency probes and the backend's resident memory."""

from __future__ import annotations

import os
import time
from pathlib import Path

import requests

from studio_ops.live_stack import LiveStudio


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
