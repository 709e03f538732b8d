"""`/api/metrics` is O(1) in the number of jobs (SPEC 9): 100 vs 10,000 jobs, side by side.

Two studios run at once, identical but for their databases: one holds 100 jobs, the other
10,000 (recorded through the repository, then most of them marked finished in one UPDATE,
as a long-lived studio looks). Requests alternate between the two so both see the same
machine load. The backend caches the SQL aggregate a few seconds, so the table also shows
that aggregate uncached (timed here against each database) to show what a miss costs.

    python -m bench.metrics_o1 [--small 100] [--large 10000] [--requests 300]
"""

from __future__ import annotations

import random
import sys
import time

import requests
import sqlalchemy as sa

from bench.common import Check, begin, cleanup, finish, latency_summary, print_table, ratio
from studio_core.db.engine import make_engine
from studio_core.db.tables import LOCAL_USER_ID, jobs
from studio_core.jobs.counts import recount
from studio_core.jobs.repo import JobRepository
from studio_ops.live_stack import LiveStudio, start_live_studio

NAME = "metrics_o1"
END_STATES = ("finished", "finished", "finished", "failed", "cancelled")


def fill(studio: LiveStudio, count: int) -> float:
    """Record `count` jobs in the studio's database; returns the aggregate's uncached seconds."""
    engine = make_engine(studio.env["DATABASE_URL"])
    repo = JobRepository(engine)
    for index in range(count):
        repo.create(
            {
                "user_id": LOCAL_USER_ID,
                "tool": "text_to_image",
                "prompt": f"bench job {index}",
                "seed": random.randrange(2**40),
                "params": {"steps": 8},
            }
        )
    with engine.begin() as conn:
        ids = [row.id for row in conn.execute(sa.select(jobs.c.id))]
        for state in set(END_STATES):
            chosen = [i for n, i in enumerate(ids) if END_STATES[n % len(END_STATES)] == state]
            for start in range(0, len(chosen), 500):
                conn.execute(
                    sa.update(jobs)
                    .where(jobs.c.id.in_(chosen[start : start + 500]))
                    .values(status=state)
                )
        recount(conn)  # raw status writes bypass the counters: rebuild them (writers stopped)
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        repo.counts_by_status()
        timings.append(time.perf_counter() - started)
    engine.dispose()
    return sorted(timings)[len(timings) // 2]


def main(argv: list[str] | None = None) -> int:
    """Fill both databases, then time /api/metrics on both, interleaved."""
    args, root = begin(NAME, argv, small=100, large=10_000, requests=300)
    sizes = {"small": args.small, "large": args.large}
    studios: dict[str, LiveStudio] = {}
    samples: dict[str, list[float]] = {label: [] for label in sizes}
    try:
        for label in sizes:
            studios[label] = start_live_studio(root / label)
            studios[label].kill_worker("w1")  # a worker would re-enqueue the queued rows
        aggregate = {label: fill(studios[label], n) for label, n in sizes.items()}
        sessions = {label: requests.Session() for label in sizes}
        for label, session in sessions.items():
            session.headers.update(studios[label].headers)
        for _ in range(args.requests):
            for label in random.sample(list(sizes), 2):
                started = time.perf_counter()
                resp = sessions[label].get(studios[label].url + "/api/metrics", timeout=30)
                samples[label].append(time.perf_counter() - started)
                resp.raise_for_status()
            time.sleep(0.02)  # ~15 s in all: spans a few expiries of the aggregate cache
    finally:
        for studio in studios.values():
            studio.stop()
    cleanup(root)
    stats = {label: latency_summary(values) for label, values in samples.items()}
    figures = {
        "jobs": sizes,
        "metrics_ms": stats,
        "aggregate_uncached_ms": {k: v * 1000 for k, v in aggregate.items()},
        "p50_large_over_small": ratio(stats["large"]["p50"], stats["small"]["p50"]),
        "p95_large_over_small": ratio(stats["large"]["p95"], stats["small"]["p95"]),
        "aggregate_large_over_small": ratio(aggregate["large"], aggregate["small"]),
    }
    rows = [
        [f"{n} jobs", s["n"], s["p50"], s["p95"], s["max"], aggregate[label] * 1000]
        for (label, n), s in zip(sizes.items(), stats.values(), strict=True)
    ]
    rows.append(
        [
            "large / small",
            "",
            figures["p50_large_over_small"],
            figures["p95_large_over_small"],
            "",
            figures["aggregate_large_over_small"],
        ]
    )
    print_table(
        "metrics_o1: GET /api/metrics, both databases side by side",
        ["database", "n", "p50 ms", "p95 ms", "max ms", "SQL counts uncached ms"],
        rows,
    )
    checks = [
        Check("p50 large/small", figures["p50_large_over_small"], 1.2, 2.0, False),
        Check("p95 large/small", figures["p95_large_over_small"], 1.5, 3.0, False),
    ]
    return finish(NAME, figures, checks)


if __name__ == "__main__":
    sys.exit(main())
