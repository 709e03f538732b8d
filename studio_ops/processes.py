"""Child processes on free loopback ports for tests and benchmarks: the ComfyUI simulator.

Each helper starts a process on a free port and returns a `Proc` handle that stops it.
`embedded_redis.start_scratch_redis` returns the same handle for a throwaway Redis.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    """A started process with the URL it serves."""

    url: str
    port: int
    popen: subprocess.Popen
    workdir: Path
    extra: dict = field(default_factory=dict)

    def stop(self, sig_kill: bool = False) -> None:
        """Terminate (or kill) the process and wait for it."""
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


def wait_for(check, timeout: float, what: str, popen: subprocess.Popen) -> None:
    """Poll `check()` until it is true; raise when `popen` exits or `timeout` passes."""
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


def simulator_command(port: int, data_dir: Path, *args: str) -> list[str]:
    """The command line of `python -m comfyui_sim` on 127.0.0.1:`port` with its data dir."""
    return [
        sys.executable,
        "-m",
        "comfyui_sim",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *args,
    ]


def start_simulator(workdir: Path, *args: str, port: int | None = None) -> Proc:
    """Start `python -m comfyui_sim` on a free port with a private data directory."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir / "sim.log", "ab")  # noqa: SIM115 - closed with the process
    popen = subprocess.Popen(
        simulator_command(port, workdir, *args),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(url + "/system_stats", timeout=1).ok, 20, "simulator", popen)
    return Proc(url=url, port=port, popen=popen, workdir=workdir, extra={"log": log})
