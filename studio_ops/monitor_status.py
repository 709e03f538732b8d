"""One screen of a running studio's state from `GET /health` and `GET /api/metrics`.

    python -m studio_ops.monitor_status [URL] [--watch N]

Exit code: 0 healthy, 1 reachable but degraded (a component down, an error answer, or the
metrics rate limited), 2 unreachable. A 429 is reported as "rate limited", never as offline.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

from studio_core.jobs.states import JobStatus
from studio_ops.studio_http import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_UNREACHABLE,
    UNREACHABLE,
    api_error,
    base_url,
    command_parser,
    describe,
    retry_after,
    session_for,
)

CLEAR_SCREEN = "\033[H\033[J"


@dataclass
class Probe:
    """One GET: its HTTP status (None when unreachable), JSON body and timing."""

    status: int | None
    body: dict = field(default_factory=dict)
    elapsed_ms: float = 0.0
    error: str = ""
    retry_after: int | None = None

    @property
    def rate_limited(self) -> bool:
        """The studio answered 429 Too Many Requests."""
        return self.status == 429


def probe(session: requests.Session, url: str, timeout: float) -> Probe:
    """GET `url` and classify the answer: JSON body, rate limited, error, or unreachable."""
    started = time.perf_counter()
    try:
        resp = session.get(url, timeout=timeout)
    except UNREACHABLE as exc:
        return Probe(None, error=describe(exc))
    elapsed = (time.perf_counter() - started) * 1000
    try:
        body = resp.json()
    except ValueError:
        body = {}
    error = "" if resp.status_code in (200, 503) and body else api_error(resp)
    body = body if isinstance(body, dict) else {}
    return Probe(resp.status_code, body, elapsed, error, retry_after(resp))


def collect(session: requests.Session, base: str, timeout: float) -> tuple[Probe, Probe | None]:
    """(/health probe, /api/metrics probe or None when the server is unreachable)."""
    health = probe(session, base + "/health", timeout)
    if health.status is None:
        return health, None
    return health, probe(session, base + "/api/metrics", timeout)


def exit_code(health: Probe, metrics: Probe | None) -> int:
    """0 healthy, 1 degraded or partly unreadable, 2 unreachable."""
    if health.status is None or metrics is None or metrics.status is None:
        return EXIT_UNREACHABLE
    healthy = health.status == 200 and health.body.get("status") == "ok"
    return EXIT_OK if healthy and metrics.status == 200 else EXIT_FAIL


def _answer_line(name: str, p: Probe) -> str:
    if p.status is None:
        return f"{name:<10}unreachable ({p.error})"
    if p.rate_limited:
        wait = f", retry after {p.retry_after} s" if p.retry_after is not None else ""
        return f"{name:<10}rate limited (HTTP 429{wait}); the studio is up"
    if p.error:
        return f"{name:<10}error: {p.error}"
    return f"{name:<10}HTTP {p.status} in {p.elapsed_ms:.0f} ms"


def _worker_line(w: dict) -> str:
    jobs = int(w.get("jobs") or 0)
    doing = f"running {jobs} job{'s' if jobs != 1 else ''}" if jobs else "idle"
    state = "online " if w.get("online") else "OFFLINE"
    return f"  {w.get('id')}  {state}  {doing}  engine={w.get('backend') or '-'}  last_seen={w.get('last_seen') or '-'}"


def _backend_line(b: dict) -> str:
    state = "online " if b.get("online") else "OFFLINE"
    kind = "SIMULATOR (demo engine)" if b.get("simulator") else f"ComfyUI {b.get('version') or ''}"
    error = f"  error={b['error']}" if b.get("error") else ""
    return f"  {b.get('url')}  {state}  {kind.strip()}{error}"


STATUS_ORDER = tuple(status.value for status in JobStatus)  # the vocabulary, in its order


def _jobs_line(by_status: dict) -> str:
    order = [k for k in STATUS_ORDER if k in by_status] + sorted(set(by_status) - set(STATUS_ORDER))
    return "jobs      " + (", ".join(f"{k} {by_status[k]}" for k in order) or "none yet")


def render(base: str, health: Probe, metrics: Probe | None) -> str:
    """The status screen as text."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [f"ComfyUI Studio  {base}  {now}", _answer_line("server", health)]
    if health.status is None or metrics is None:
        lines.append("status    UNREACHABLE: nothing answers (is the studio running?)")
        return "\n".join(lines)
    components = health.body.get("components", {})
    if health.body:
        demo = "  [demo mode: simulator engine]" if health.body.get("demo_mode") else ""
        lines.append(f"status    {str(health.body.get('status', '?')).upper()}{demo}")
        lines.extend(
            f"{name:<10}{components.get(name, '?')}" for name in ("database", "redis", "storage")
        )
    doc = metrics.body if metrics.status == 200 and not metrics.error else {}
    if not doc:  # what /health alone can tell
        lines.append(_answer_line("metrics", metrics))
        lines.extend(f"{name:<10}{components.get(name, '?')}" for name in ("workers", "comfyui"))
        return "\n".join(lines)
    workers = doc.get("workers", [])
    online = sum(1 for w in workers if w.get("online"))
    lines.append(f"workers   {online}/{len(workers)} online")
    lines.extend(_worker_line(w) for w in workers)
    backends = doc.get("backends", [])
    up = sum(1 for b in backends if b.get("online"))
    lines.append(f"comfyui   {up}/{len(backends)} online")
    lines.extend(_backend_line(b) for b in backends)
    lines.append(
        f"queue     {doc.get('queue_length', 0)} waiting, {doc.get('active_jobs', 0)} active"
    )
    lines.append(_jobs_line(doc.get("jobs_by_status") or {}))
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = command_parser(
        prog="monitor_status",
        description="Show a running studio's state (GET /health and /api/metrics). "
        "Exit code: 0 healthy, 1 degraded or rate limited, 2 unreachable.",
    )
    parser.add_argument("--watch", type=float, metavar="N", help="refresh every N seconds")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    args = parser.parse_args(argv)
    if args.watch is not None and args.watch < 0.5:
        parser.error("--watch must be at least 0.5 seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    """Print the status screen once, or every N seconds with --watch; return the exit code."""
    args = parse_args(argv)
    base = base_url(args.url)
    code = EXIT_UNREACHABLE
    with session_for(args.token) as session:
        try:
            while True:
                health, metrics = collect(session, base, args.timeout)
                code = exit_code(health, metrics)
                screen = render(base, health, metrics)
                clear = CLEAR_SCREEN if args.watch and sys.stdout.isatty() else ""
                print(clear + screen, flush=True)
                if args.watch is None:
                    return code
                time.sleep(args.watch)
        except KeyboardInterrupt:
            return code


if __name__ == "__main__":
    sys.exit(main())
