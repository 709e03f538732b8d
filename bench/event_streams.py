"""Open event streams must not take request capacity (issue 9): `/livez` and `/api/status`
with 0 open streams, then with 1,000, side by side on one backend in one run.

The studio is started as users start it (`python -m backend` through
`studio_ops.live_stack`, real redis-server; STREAMS_PER_USER raised so one user may hold
them all). A child process opens the streams with aiohttp and reads them (so their reading
does not slow the probe's own loop) while the worker publishes nothing; instead this script
publishes `--events-per-s` job events to the streams' user, each fanned out to every stream.
The probe is `--clients` aiohttp clients, each looping status -> livez with a random think
time, the same in both phases. Target: p99 of both under 50 ms with the streams open (exit 1
when over). Backend RSS (Linux /proc) is printed beside: what 1,000 streams cost in memory.

    python -m bench.event_streams [--streams 1000] [--clients 20] [--rounds 50]
                                  [--think-ms 100] [--events-per-s 2]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import sys
import time
from pathlib import Path

import aiohttp

from backend.serving.server import raise_open_file_limit
from bench.api_latency import process_cpu_s
from bench.common import Check, begin, cleanup, finish, latency_summary, print_table, ratio
from bench.drivers import job_body
from studio_core.events import EventBus
from studio_core.redis_client import connect_redis
from studio_ops.live_stack import start_live_studio

NAME = "event_streams"
ROUTES = ("status", "livez")
TARGET_P99_MS = 50.0


async def probe(
    url: str, job_id: str, clients: int, rounds: int, think_s: float, headers: dict
) -> dict:
    """{route: [seconds]} from `clients` looping status -> livez `rounds` times."""
    samples: dict[str, list[float]] = {route: [] for route in ROUTES}
    paths = {"status": f"/api/status/{job_id}", "livez": "/livez"}

    async def client(session: aiohttp.ClientSession) -> None:
        for _ in range(rounds):
            for route in ROUTES:
                await asyncio.sleep(random.uniform(0, 2 * think_s))
                started = time.perf_counter()
                async with session.get(url + paths[route]) as resp:
                    await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{route} answered {resp.status}")
                samples[route].append(time.perf_counter() - started)

    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=headers
    ) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return samples


async def _hold(url: str, count: int, opened, stop, headers: dict) -> tuple[int, int]:
    """Open `count` streams, report when all are open, read until `stop`; (frames, ended)."""
    frames, ended = 0, 0

    async def one(session: aiohttp.ClientSession, ready: asyncio.Event) -> None:
        nonlocal frames, ended
        async with session.get(url + "/api/events") as resp:
            if resp.status != 200:
                raise RuntimeError(f"stream refused: {resp.status} {await resp.text()}")
            async for line in resp.content:
                if line.startswith(b"retry:"):
                    ready.set()
                elif line.startswith(b"event: job"):
                    frames += 1
        ended += 1

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=headers
    ) as session:
        readies = [asyncio.Event() for _ in range(count)]
        tasks = []
        for ready in readies:  # in waves, as browsers arriving would
            tasks.append(asyncio.create_task(one(session, ready)))
            if len(tasks) % 100 == 0:
                await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
        opened.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
            for task in tasks:
                if task.done() and task.exception():
                    raise task.exception()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return frames, ended


def hold_streams(url: str, count: int, opened, stop, result, headers: dict) -> None:
    """Child process: hold `count` streams open until `stop`; puts (frames, ended) in result."""
    raise_open_file_limit(count + 1024)
    result.put(asyncio.run(_hold(url, count, opened, stop, headers)))


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children in MB (Linux /proc), NaN elsewhere."""
    proc = Path(f"/proc/{pid}")
    try:
        rss = int((proc / "statm").read_text().split()[1]) * 4096 / 2**20
        children = [
            int(child)
            for task in (proc / "task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        return float("nan")
    return rss + sum(rss_mb(child) for child in children)


async def publish(redis_url: str, rate: float, stop: asyncio.Event) -> int:
    """Publish job events for user 1 at `rate` per second until `stop`; returns how many."""
    if rate <= 0:
        await stop.wait()
        return 0
    bus, sent = EventBus(connect_redis(redis_url)), 0
    while not stop.is_set():
        job = {"job_id": "bench-events", "status": "processing", "progress": sent % 100}
        await asyncio.to_thread(bus.publish_job, 1, job)
        sent += 1
        await asyncio.sleep(1 / rate)
    bus.redis.close()
    return sent


async def probe_while_publishing(studio, job_id: str, args) -> tuple[dict, int]:
    """The probe, with events published to the streams' user meanwhile."""
    stop = asyncio.Event()
    publisher = asyncio.create_task(publish(studio.env["REDIS_URL"], args.events_per_s, stop))
    samples = await probe(
        studio.url, job_id, args.clients, args.rounds, args.think_ms / 1000, studio.headers
    )
    stop.set()
    return samples, await publisher


def measure(root: Path, args) -> dict:
    """Both phases on one studio; returns the raw figures."""
    raise_open_file_limit(args.streams + 1024)
    studio = start_live_studio(root, STREAMS_PER_USER=str(args.streams + 10))
    try:
        studio.kill_worker("w1")  # the API alone; the job below stays queued
        job_id = studio.generate(**job_body(8))["job_id"]
        pid = studio.backend.pid
        rss_before = rss_mb(pid)
        # Warm-up (not counted): both server processes' first requests, SQL and Redis pools.
        asyncio.run(
            probe(studio.url, job_id, args.clients, 3, args.think_ms / 1000, studio.headers)
        )
        cpu = [process_cpu_s(pid)]
        idle, _ = asyncio.run(probe_while_publishing(studio, job_id, args))
        cpu.append(process_cpu_s(pid))
        ctx = multiprocessing.get_context("spawn")
        opened, stop, result = ctx.Event(), ctx.Event(), ctx.Queue()
        holder = ctx.Process(
            target=hold_streams,
            args=(studio.url, args.streams, opened, stop, result, studio.headers),
        )
        holder.start()
        started = time.perf_counter()
        if not opened.wait(180):
            raise RuntimeError("the streams did not all open")
        open_s = time.perf_counter() - started
        rss_streams = rss_mb(pid)
        cpu.append(process_cpu_s(pid))
        loaded, sent = asyncio.run(probe_while_publishing(studio, job_id, args))
        cpu.append(process_cpu_s(pid))
        stop.set()
        frames, ended = result.get(timeout=60)
        holder.join(timeout=30)
    finally:
        studio.stop()
    return {
        "samples": {"0 streams": idle, f"{args.streams} streams": loaded},
        "open_s": open_s,
        "rss_mb": {"0 streams": rss_before, f"{args.streams} streams": rss_streams},
        "cpu_s": {
            "0 streams": _minus(cpu[1], cpu[0]),
            f"{args.streams} streams": _minus(cpu[3], cpu[2]),
        },
        "events_sent": sent,
        "frames_received": frames,
        "streams_ended_early": ended,
    }


def _minus(after: float | None, before: float | None) -> float:
    return after - before if after is not None and before is not None else float("nan")


def main(argv: list[str] | None = None) -> int:
    """Measure both phases and print them side by side with their ratios."""
    args, root = begin(
        NAME, argv, streams=1000, clients=20, rounds=50, think_ms=100, events_per_s=2
    )
    raw = measure(root, args)
    cleanup(root)
    idle_key, loaded_key = raw["samples"]
    stats = {
        phase: {route: latency_summary(values) for route, values in routes.items()}
        for phase, routes in raw["samples"].items()
    }
    rows = []
    for route in ROUTES:
        a, b = stats[idle_key][route], stats[loaded_key][route]
        rows.append(
            [
                route,
                a["n"],
                a["p50"],
                a["p99"],
                b["p50"],
                b["p99"],
                ratio(b["p50"], a["p50"]),
                ratio(b["p99"], a["p99"]),
            ]
        )
    rss, cpu = raw["rss_mb"], raw["cpu_s"]
    n = {phase: sum(len(v) for v in routes.values()) for phase, routes in raw["samples"].items()}
    cpu_ms = {phase: cpu[phase] * 1000 / n[phase] if n[phase] else float("nan") for phase in cpu}
    title = (
        f"event_streams: {args.clients} clients x {args.rounds} rounds of status -> livez "
        f"(think U(0, {2 * args.think_ms}) ms); {args.streams} streams opened in "
        f"{raw['open_s']:.1f} s; {args.events_per_s} events/s -> "
        f"{raw['frames_received']} frames read ({raw['events_sent']} events x streams); "
        f"backend RSS {rss[idle_key]:.0f} -> {rss[loaded_key]:.0f} MB, "
        f"CPU per probe request {cpu_ms[idle_key]:.2f} -> {cpu_ms[loaded_key]:.2f} ms "
        "(every route and stream counted)"
    )
    headers = ["route", "n", "p50 ms 0", "p99 ms 0", f"p50 ms {args.streams}"]
    headers += [f"p99 ms {args.streams}", "p50 ratio", "p99 ratio"]
    print_table(title, headers, rows)
    figures = {
        "streams": args.streams,
        "clients": args.clients,
        "think_ms_mean": args.think_ms,
        "events_per_s": args.events_per_s,
        "open_s": raw["open_s"],
        "rss_mb": rss,
        "server_cpu_ms_per_probe_request": cpu_ms,
        "events_sent": raw["events_sent"],
        "frames_received": raw["frames_received"],
        "streams_ended_early": raw["streams_ended_early"],
        "routes_ms": stats,
        "p99_ratio": {
            r: ratio(stats[loaded_key][r]["p99"], stats[idle_key][r]["p99"]) for r in ROUTES
        },
    }
    checks = [
        Check(
            f"{route} p99 ms, {args.streams} streams",
            stats[loaded_key][route]["p99"],
            TARGET_P99_MS,
            TARGET_P99_MS,
            False,
        )
        for route in ROUTES
    ]
    checks.append(Check("streams ended early", raw["streams_ended_early"], 0, 0, False))
    return finish(NAME, figures, checks)


if __name__ == "__main__":
    sys.exit(main())
