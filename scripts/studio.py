#!/usr/bin/env python3
"""One entry point for people and CI: set up the venv, then start the studio or run the tests.

    python3 scripts/studio.py start     # Redis (embedded if none), migrations, backend, worker,
                                        # and the ComfyUI simulator in demo mode if COMFYUI_URL is unset
    python3 scripts/studio.py test      # the whole test suite (extra args go to pytest)

Only the standard library is used until the virtual environment exists, so this runs on a
fresh machine (Linux, macOS, Windows) with nothing but Python 3.10+.

Signals: on Linux and macOS this process becomes the launcher (or pytest) through exec, so
SIGTERM or SIGINT sent to its PID alone reaches the program that stops everything it
started. Windows has no exec: the program runs as a child in a process group of its own,
and Ctrl-C, Ctrl+Break or a close of the console here is forwarded to it as Ctrl+Break;
this process then waits for it and returns its exit code.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
IS_WINDOWS = os.name == "nt"
VENV_PY = VENV / ("Scripts/python.exe" if IS_WINDOWS else "bin/python")
STAMP = VENV / ".studio-deps"


def _deps_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "requirements.lock"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv() -> None:
    """Create .venv and install the project with its dev extras when missing or stale."""
    if sys.version_info < (3, 10):  # noqa: UP036 - runs on any python3, before the venv
        sys.exit("ComfyUI Studio needs Python 3.10 or newer")
    if not VENV_PY.exists():
        print("studio: creating virtual environment in .venv", flush=True)
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    wanted = _deps_fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("studio: installing dependencies into .venv", flush=True)
    pip = [str(VENV_PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.check_call([*pip, "--upgrade", "pip", "setuptools", "wheel"])
    constraints = (
        ["-c", str(ROOT / "requirements.lock")] if (ROOT / "requirements.lock").exists() else []
    )
    subprocess.check_call([*pip, *constraints, "-e", f"{ROOT}[dev]"])
    STAMP.write_text(wanted)


def ensure_chromium() -> None:
    """Install Debian's Chromium for the browser tests when possible (root + apt)."""
    if shutil.which("chromium") or os.environ.get("STUDIO_CHROMIUM"):
        return
    if not IS_WINDOWS and shutil.which("apt-get") and os.geteuid() == 0:
        print("studio: installing Debian's chromium for the browser tests", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.call(["apt-get", "update", "-qq"], env=env)
        subprocess.call(["apt-get", "install", "-y", "-qq", "chromium"], env=env)


def run_in_place(argv: list[str]) -> int:
    """Run `argv` as this process (POSIX exec), or as a child that gets our stop signals."""
    if not IS_WINDOWS:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(argv[0], argv)  # does not return
    # Ctrl+Break reaches only a process group of its own, hence the new group.
    child = subprocess.Popen(argv, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)

    def forward(_signum, _frame):
        if child.poll() is None:
            child.send_signal(signal.CTRL_BREAK_EVENT)

    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), forward)
    return child.wait()


def main(argv: list[str]) -> int:
    """Dispatch `start` or `test`."""
    if not argv or argv[0] not in {"start", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    os.chdir(ROOT)
    if command == "setup":
        return 0
    if command == "test":
        ensure_chromium()
        return run_in_place([str(VENV_PY), "-m", "pytest", *rest])
    return run_in_place([str(VENV_PY), "-m", "studio_ops.launcher", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
