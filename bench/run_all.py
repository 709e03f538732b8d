"""Run every benchmark in sequence (each in its own process) and print one summary table.

    python -m bench.run_all [name ...]

Exit code 1 when any benchmark missed a target by a wide margin (or crashed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench.common import RESULTS_DIR, ROOT, print_table

BENCHMARKS = (
    "gpu_busy",
    "progress_latency",
    "api_latency",
    "metrics_o1",
    "gallery_weight",
    "backends_scale",
    "event_streams",
)
TIMEOUT_S = 300  # each benchmark is meant to take 1-2 minutes on 2 cores


def run(name: str) -> tuple[int, float]:
    """Run one benchmark as `python -m bench.<name>`; returns (exit code, seconds)."""
    started = time.monotonic()
    try:
        code = subprocess.run(
            [sys.executable, "-m", f"bench.{name}"], cwd=ROOT, timeout=TIMEOUT_S, check=False
        ).returncode
    except subprocess.TimeoutExpired:
        code = -1
    return code, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmarks (default: all) and summarise their checks."""
    names = list(argv if argv is not None else sys.argv[1:]) or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        sys.stderr.write(f"unknown benchmarks: {unknown}; known: {list(BENCHMARKS)}\n")
        return 2
    rows, failed = [], False
    for name in names:
        path = RESULTS_DIR / f"{name}.json"
        path.unlink(missing_ok=True)  # a crashed run must not report the previous figures
        code, seconds = run(name)
        failed |= code != 0
        if not path.is_file():
            rows.append([name, "(no results)", "", "", f"exit {code}", seconds])
            continue
        for check in json.loads(path.read_text(encoding="utf-8"))["checks"]:
            op = ">=" if check["higher_is_better"] else "<="
            target = f"{op} {check['target']:g}"
            rows.append([name, check["name"], check["value"], target, check["verdict"], seconds])
    print_table("bench summary", ["benchmark", "check", "value", "target", "verdict", "s"], rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
