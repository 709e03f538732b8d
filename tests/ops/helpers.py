"""Run the operator scripts as a user does: a subprocess, with its exit code and output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from studio_ops.processes import ROOT


@dataclass
class Ran:
    """A finished script run."""

    code: int
    out: str


def run_script(module: str, *args: str, env: dict | None = None, timeout: float = 60) -> Ran:
    """`python -m studio_ops.<module> ARGS` from the repo root; stdout and stderr merged."""
    proc = subprocess.run(
        [sys.executable, "-m", f"studio_ops.{module}", *args],
        cwd=ROOT,
        env=env if env is not None else os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Ran(proc.returncode, proc.stdout + proc.stderr)
