"""monitor_status against a live studio, a rate-limited one, and a closed port."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import requests

from studio_ops.processes import ROOT, free_port
from tests.ops.helpers import run_script


def test_healthy_studio_exits_0_with_workers_engines_and_queue(live_studio):
    ran = run_script("monitor_status", live_studio.url, "--token", live_studio.token)
    assert ran.code == 0, ran.out
    lines = ran.out.splitlines()
    assert lines[0].startswith(f"ComfyUI Studio  {live_studio.url}")
    assert "status    OK" in lines
    assert "database  ok" in lines and "redis     ok" in lines, ran.out
    assert "workers   1/1 online" in lines
    assert any(line.startswith("  w1  online ") for line in lines), ran.out
    assert "comfyui   1/1 online" in lines
    assert any(live_studio.sim.url in line and "SIMULATOR" in line for line in lines), ran.out
    assert any(line.startswith("queue     ") and "waiting" in line for line in lines)
    assert any(line.startswith("jobs      queued ") for line in lines), ran.out


def test_closed_port_is_unreachable_exit_2():
    ran = run_script("monitor_status", f"http://127.0.0.1:{free_port()}", "--timeout", "2")
    assert ran.code == 2, ran.out
    assert "server    unreachable (connection refused)" in ran.out
    assert "UNREACHABLE" in ran.out


def test_shell_wrapper_passes_arguments_and_exit_code():
    proc = subprocess.run(
        [str(ROOT / "scripts" / "monitor_status.sh"), f"http://127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unreachable" in proc.stdout


def test_rate_limited_metrics_are_not_offline(limited_studio):
    """While another client exhausts the read limit, the screen says rate limited, exit 1."""
    stop = threading.Event()

    def hammer() -> None:
        with requests.Session() as session:
            session.headers.update(limited_studio.headers)  # limits are per user after login
            while not stop.is_set():
                session.get(limited_studio.url + "/api/metrics", timeout=5)

    thread = threading.Thread(target=hammer, daemon=True)
    thread.start()
    try:
        time.sleep(0.2)
        # 5/second fixed windows: the hammer takes each window's 5 in a few ms, so a probe
        # almost always lands on a 429; three tries make a miss vanishingly unlikely.
        for _ in range(3):
            ran = run_script("monitor_status", limited_studio.url, "--token", limited_studio.token)
            if "rate limited" in ran.out:
                break
    finally:
        stop.set()
        thread.join(timeout=10)
    assert "metrics   rate limited (HTTP 429, retry after 1 s); the studio is up" in ran.out
    assert ran.code == 1, ran.out
    assert "unreachable" not in ran.out
    assert "status    OK" in ran.out  # /health is never rate limited
    assert "workers   ok" in ran.out and "comfyui   ok" in ran.out  # from /health alone


def test_watch_refreshes_until_ctrl_c(live_studio):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio_ops.monitor_status",
            live_studio.url,
            "--token",
            live_studio.token,
            "--watch",
            "0.5",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out
    assert out.count("ComfyUI Studio  ") >= 2, out


def test_lost_worker_is_degraded_exit_1(tmp_path):
    from studio_ops.live_stack import start_live_studio

    studio = start_live_studio(tmp_path / "studio")
    try:
        studio.kill_worker("w1")
        deadline = time.monotonic() + 20  # the heartbeat TTL is 3 s in live studios
        ran = run_script("monitor_status", studio.url, "--token", studio.token)
        while ran.code == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
            ran = run_script("monitor_status", studio.url, "--token", studio.token)
    finally:
        studio.stop()
    assert ran.code == 1, ran.out
    assert "status    DEGRADED" in ran.out
    assert "workers   0/1 online" in ran.out or "workers   0/0 online" in ran.out, ran.out
