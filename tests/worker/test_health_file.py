"""The worker's health file (WORKER_HEALTH_FILE) and `python -m worker.healthcheck`: a
container healthcheck that means what the queue means by alive."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

from studio_ops.processes import ROOT
from tests.worker.helpers import FAST
from worker.healthcheck import file_age_s
from worker.worker import Worker, WorkerTuning


def _healthcheck(path, max_age: str = "60") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "worker.healthcheck", str(path), max_age],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        check=False,
    )


def test_heartbeat_writes_the_health_file_and_a_stalled_loop_lets_it_age(stack, tmp_path):
    health = tmp_path / "worker-alive"
    settings = dataclasses.replace(stack.settings, worker_health_file=health)
    worker = Worker(settings, tuning=WorkerTuning(**FAST.__dict__))
    heartbeat = next(c for c in worker.housekeeping.chores if c.name == "heartbeat")
    try:
        assert _healthcheck(health).returncode == 1  # nothing yet: not healthy
        heartbeat.run()
        assert health.read_text().split()[0] == worker.worker_id
        ok = _healthcheck(health)
        assert ok.returncode == 0 and ok.stdout.startswith("healthy"), ok.stdout
        # A stalled claim loop withholds its heartbeat, and so the file ages.
        before = health.stat().st_mtime
        os.utime(health, (before - 120, before - 120))
        worker.loop_tick = time.monotonic() - 1000
        heartbeat.run()
        stale = _healthcheck(health)
        assert stale.returncode == 1 and "120 s ago" in stale.stdout, stale.stdout
    finally:
        worker.client.close()


def test_healthcheck_limits_and_usage(tmp_path):
    path = tmp_path / "alive"
    path.write_text("w 0")
    now = time.time()
    os.utime(path, (now - 30, now - 30))
    assert 29 <= file_age_s(path) <= 40
    assert _healthcheck(path, "60").returncode == 0
    assert _healthcheck(path, "10").returncode == 1
    assert file_age_s(tmp_path / "missing") is None
    assert _healthcheck(tmp_path / "missing").returncode == 1
    assert _healthcheck("only-one-arg", "").returncode in (1, 2)
