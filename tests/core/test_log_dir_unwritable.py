"""A log directory the process cannot write (a root-owned bind mount seen from a container's
uid 1000) leaves logging on stderr with one clear warning, never a traceback per record."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import logging, sys
from studio_core.logging_setup import configure_logging
path = configure_logging("worker", sys.argv[1])
print("file:", path, flush=True)
for n in range(3):
    logging.getLogger("studio_core.test").info("job claimed n=%s", n)
"""


def _run(log_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(log_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.fixture
def unwritable_dir(tmp_path):
    """A directory nobody may create files in: immutable for root, read-only otherwise."""
    target = tmp_path / "logs"
    target.mkdir()
    if os.name == "posix" and os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if not chattr or subprocess.call([chattr, "+i", str(target)]) != 0:
            pytest.skip("root needs chattr +i on this file system to make a directory unwritable")
        yield target
        subprocess.call([chattr, "-i", str(target)])
    else:
        target.chmod(0o500)
        yield target
        target.chmod(0o700)


def _assert_stderr_only(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert "file: None" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "file logs are off" in line]
    assert len(warnings) == 1, result.stderr
    assert "level=WARNING" in warnings[0] and "LOG_DIR" in warnings[0]
    assert "Logging error" not in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("job claimed") == 3


def test_permission_denied_log_dir_logs_to_stderr_with_one_warning(unwritable_dir):
    result = _run(unwritable_dir)
    _assert_stderr_only(result)
    assert "PermissionError" in result.stderr
    assert not list(unwritable_dir.iterdir())


def test_log_dir_that_cannot_exist_logs_to_stderr_with_one_warning(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    _assert_stderr_only(_run(blocker / "logs"))


def test_writable_log_dir_still_gets_the_file(tmp_path):
    result = _run(tmp_path / "logs")
    assert result.returncode == 0, result.stderr
    assert f"file: {tmp_path / 'logs' / 'worker.log'}" in result.stdout
    assert "file logs are off" not in result.stderr
    assert (tmp_path / "logs" / "worker.log").read_text().count("job claimed") == 3
    assert not [p for p in (tmp_path / "logs").iterdir() if p.name.endswith(".probe")]
