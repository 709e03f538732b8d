"""API latency at 50 concurrent clients (SPEC 9): generate, status, and /livez as the floor.

50 aiohttp clients (keep-alive, like browsers) each loop over `POST /api/generate`,
`GET /api/status/<id>` and `GET /livez` with a random think time between requests, so the
three routes are measured side by side under the same load. Rate limits are raised through
the environment; no worker runs, so the queue fills (as the spec allows). The load generator
shares the machine's 2 cores with the server: that only makes the figures pessimistic.

    python -m bench.api_latency [--clients 50] [--rounds 10] [--think-ms 300]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time

import aiohttp

from bench.common import (
    Check,
    bench_root,
    cleanup,
    finish,
    latency_summary,
    print_table,
    ratio,
    setup_logging,
)
from bench.drivers import job_body
from tests.live import start_live_studio

NAME = "api_latency"
ROUTES = ("generate", "status", "livez")


async def client_loop(
    session: aiohttp.ClientSession,
    url: str,
    job_id: str,
    rounds: int,
    think_s: float,
    samples: dict[str, list[float]],
) -> None:
    """One client: `rounds` times generate -> status -> livez, thinking between requests."""
    for _ in range(rounds):
        for route in ROUTES:
            await asyncio.sleep(random.uniform(0, 2 * think_s))
            started = time.perf_counter()
            if route == "generate":
                async with session.post(url + "/api/generate", json=job_body(8)) as resp:
                    await resp.read()
                    expected = 202
            elif route == "status":
                async with session.get(f"{url}/api/status/{job_id}") as resp:
                    await resp.read()
                    expected = 200
            else:
                async with session.get(url + "/livez") as resp:
                    await resp.read()
                    expected = 200
            elapsed = time.perf_counter() - started
            if resp.status != expected:
                raise RuntimeError(f"{route} answered {resp.status}")
            samples[route].append(elapsed)


async def load(url: str, clients: int, rounds: int, think_s: float) -> tuple[dict, float]:
    """Run every client at once; returns ({route: [seconds]}, wall seconds)."""
    samples: dict[str, list[float]] = {route: [] for route in ROUTES}
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async with session.post(url + "/api/generate", json=job_body(8)) as resp:
            job_id = (await resp.json())["job_id"]
        started = time.perf_counter()
        await asyncio.gather(
            *(client_loop(session, url, job_id, rounds, think_s, samples) for _ in range(clients))
        )
    return samples, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Load the API and print the latency of each route beside /livez."""
    parser = argparse.ArgumentParser(prog="python -m bench.api_latency")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--think-ms", type=int, default=300)
    args = parser.parse_args(argv)
    setup_logging()
    root = bench_root(NAME)
    studio = start_live_studio(
        root, RATE_LIMIT_GENERATE="1000000/minute", RATE_LIMIT_READS="1000000/second"
    )
    try:
        studio.kill_worker("w1")  # the API alone: the queue may fill
        samples, wall = asyncio.run(
            load(studio.url, args.clients, args.rounds, args.think_ms / 1000)
        )
    finally:
        studio.stop()
    cleanup(root)
    stats = {route: latency_summary(values) for route, values in samples.items()}
    total = sum(s["n"] for s in stats.values())
    floor = stats["livez"]
    figures = {
        "clients": args.clients,
        "think_ms_mean": args.think_ms,
        "requests": total,
        "requests_per_s": total / wall,
        "routes_ms": stats,
        "p99_over_livez": {r: ratio(stats[r]["p99"], floor["p99"]) for r in ROUTES},
        "p50_over_livez": {r: ratio(stats[r]["p50"], floor["p50"]) for r in ROUTES},
    }
    rows = [
        [
            route,
            s["n"],
            s["p50"],
            s["p95"],
            s["p99"],
            s["max"],
            figures["p50_over_livez"][route],
            figures["p99_over_livez"][route],
        ]
        for route, s in stats.items()
    ]
    print_table(
        f"api_latency: {args.clients} clients, {total} requests at {total / wall:.0f} req/s",
        ["route", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "p50/livez", "p99/livez"],
        rows,
    )
    checks = [
        Check("generate p99 ms", stats["generate"]["p99"], 50, 100, False),
        Check("status p99 ms", stats["status"]["p99"], 20, 40, False),
    ]
    return finish(NAME, figures, checks)


if __name__ == "__main__":
    sys.exit(main())
