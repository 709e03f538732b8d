"""Probe a studio's rate limits: N requests, then what was allowed, what got 429, and how.

    python -m studio_ops.rate_limit_check [URL] [--count 30] [--path /api/metrics]
    python -m studio_ops.rate_limit_check [URL] --generate

`--generate` posts to `/api/generate` a body the API rejects after the limiter (no prompt),
so no job is ever created: the limiter answers 429, anything else answers 400. Requests
go only to URL, which must be loopback unless `--allow-remote`. Count and time are bounded.
Exit code: 0 every 429 was well formed (JSON error body + Retry-After) and, with
--expect-limited, at least one was seen; 1 otherwise, on a 5xx or a refused remote URL;
2 unreachable (or a usage error, as argparse does).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter

from studio_ops.studio_http import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_UNREACHABLE,
    UNREACHABLE,
    base_url,
    command_parser,
    describe,
    is_loopback,
    retry_after,
    session_for,
)

MAX_COUNT = 1000
MAX_SECONDS = 60.0
MAX_CONCURRENCY = 16
# Valid JSON that passes the limiter and then fails validation (400): never a job.
GENERATE_PROBE_BODY = {"workflow": "text_to_image"}


@dataclass
class Tally:
    """What the studio answered."""

    statuses: Counter = field(default_factory=Counter)
    retry_after: list[int] = field(default_factory=list)
    missing_retry_after: int = 0
    non_json_429: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, resp: requests.Response) -> None:
        """Count one answer; check a 429's headers and body."""
        self.statuses[resp.status_code] += 1
        if resp.status_code != 429:
            return
        seconds = retry_after(resp)
        if seconds is None:
            self.missing_retry_after += 1
        else:
            self.retry_after.append(seconds)
        try:
            code = resp.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code != "rate_limited":
            ctype = resp.headers.get("Content-Type", "?")
            self.non_json_429.append(f"{ctype}: {resp.text[:80]!r}")

    @property
    def limited(self) -> int:
        """Requests answered 429."""
        return self.statuses[429]


def send(session: requests.Session, method: str, url: str, body: dict | None) -> requests.Response:
    """One request of the probe."""
    return session.request(method, url, json=body, timeout=10)


def run(
    base: str,
    path: str,
    count: int,
    seconds: float,
    concurrency: int,
    generate: bool,
    token: str = "",
) -> Tally:
    """Send up to `count` requests within `seconds`, `concurrency` at a time; tally answers."""
    method, body = ("POST", GENERATE_PROBE_BODY) if generate else ("GET", None)
    url = base + ("/api/generate" if generate else path)
    tally = Tally()
    started = time.monotonic()
    deadline = started + seconds
    with session_for(token) as session, ThreadPoolExecutor(concurrency) as pool:
        # one pooled connection per thread, so none is opened and dropped per request
        session.mount(base, HTTPAdapter(pool_maxsize=concurrency))
        sent = 0
        while sent < count and time.monotonic() < deadline and not tally.unreachable:
            batch = min(concurrency, count - sent)
            futures = [pool.submit(send, session, method, url, body) for _ in range(batch)]
            for future in futures:
                try:
                    tally.add(future.result())
                except UNREACHABLE as exc:
                    tally.unreachable.append(describe(exc))
            sent += batch
    tally.seconds = time.monotonic() - started
    return tally


def report(tally: Tally, expect_limited: bool) -> tuple[list[str], int]:
    """(lines to print, exit code)."""
    total = sum(tally.statuses.values())
    allowed = sum(n for s, n in tally.statuses.items() if s != 429)
    lines = [
        f"sent      {total} requests in {tally.seconds:.2f}s",
        "answers   " + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())),
        f"allowed   {allowed} (200/202: {tally.statuses[200] + tally.statuses[202]})",
        f"limited   {tally.limited} (429)",
    ]
    if tally.unreachable:
        lines.append(f"unreachable: {tally.unreachable[0]}")
        return lines, EXIT_UNREACHABLE
    code = EXIT_OK
    if tally.limited:
        seen = sorted(set(tally.retry_after))
        lines.append(f"Retry-After seen: {', '.join(map(str, seen)) or 'none'} (seconds)")
        if tally.missing_retry_after:
            lines.append(f"PROBLEM: {tally.missing_retry_after} 429 answers had no Retry-After")
            code = EXIT_FAIL
        if tally.non_json_429:
            lines.append(f"PROBLEM: 429 body is not the JSON error shape: {tally.non_json_429[0]}")
            code = EXIT_FAIL
        else:
            lines.append('429 body: JSON {"error": {"code": "rate_limited", ...}}')
    elif expect_limited:
        lines.append("PROBLEM: no request was rate limited")
        code = EXIT_FAIL
    server_errors = sum(n for s, n in tally.statuses.items() if s >= 500)
    if server_errors:
        lines.append(f"PROBLEM: {server_errors} server errors (5xx)")
        code = EXIT_FAIL
    return lines, code


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = command_parser(
        prog="test_rate_limit",
        description="Send N requests to one endpoint of a studio and report 200/202 vs 429, "
        "Retry-After and the 429 body. Exit code: 0 ok, 1 problem, 2 unreachable.",
    )
    parser.add_argument(
        "--path", default="/api/metrics", help="GET this path (default %(default)s)"
    )
    parser.add_argument(
        "--generate",
        action="store_true",
        help="POST /api/generate with a body it rejects (no job is created)",
    )
    parser.add_argument("--count", type=int, default=30, help=f"requests, 1..{MAX_COUNT}")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help=f"time bound, max {MAX_SECONDS:.0f}"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help=f"in flight, 1..{MAX_CONCURRENCY}"
    )
    parser.add_argument("--expect-limited", action="store_true", help="fail unless a 429 is seen")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback URL")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= MAX_COUNT:
        parser.error(f"--count must be 1..{MAX_COUNT}")
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be in (0, {MAX_SECONDS:.0f}]")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be 1..{MAX_CONCURRENCY}")
    if not args.path.startswith("/"):
        parser.error("--path must start with /")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the probe and print the report; return the exit code."""
    args = parse_args(argv)
    base = base_url(args.url)
    if not args.allow_remote and not is_loopback(base):
        # a probe of someone else's server is a small flood: it needs an explicit opt-in
        print(f"rate_limit: refused: {base} is not a loopback address (--allow-remote)")
        return EXIT_FAIL
    target = "POST /api/generate (rejected body, no job)" if args.generate else f"GET {args.path}"
    print(f"rate_limit: {target} at {base}, {args.count} requests", flush=True)
    tally = run(
        base, args.path, args.count, args.seconds, args.concurrency, args.generate, args.token
    )
    lines, code = report(tally, args.expect_limited)
    for line in lines:
        print(f"rate_limit: {line}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
