"""`python -m worker.healthcheck FILE MAX_AGE_S`: exit 0 when the worker's health file is fresh.

The worker rewrites FILE (WORKER_HEALTH_FILE) after every heartbeat Redis accepted, so a file
older than MAX_AGE_S means a stuck claim loop or a lost Redis, which a bare "process exists"
check cannot see. Kept free of the worker's imports: a container runs it every few seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def file_age_s(path: Path, now: float | None = None) -> float | None:
    """Seconds since `path` was last written, or None when it does not exist."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    return (time.time() if now is None else now) - mtime


def main(argv: list[str]) -> int:
    """0 = healthy, 1 = stale or missing (the reason on stdout, shown by `docker inspect`)."""
    if len(argv) != 2:
        print("usage: python -m worker.healthcheck FILE MAX_AGE_S")
        return 2
    path, max_age = Path(argv[0]), float(argv[1])
    age = file_age_s(path)
    if age is None:
        print(f"unhealthy: {path} not written yet (no heartbeat)")
        return 1
    if age > max_age:
        print(f"unhealthy: last heartbeat {age:.0f} s ago (limit {max_age:.0f} s)")
        return 1
    print(f"healthy: last heartbeat {age:.0f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
