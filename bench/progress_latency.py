"""Progress latency (SPEC 9): ComfyUI's `progress` frame -> the browser's SSE event.

Method: the worker reaches the simulator through `bench.ws_tap`, a loopback proxy that
stamps each `progress` frame as it comes off ComfyUI's socket. In the same asyncio loop
(one clock) an SSE client reads `/api/events` like the SPA does, and, side by side, a
poller asks `GET /api/status/<id>` every 2 s like the original studio did. Latency of a
frame = first time a client shows that step (or a later one) of that job - the tap's stamp.

    python -m bench.progress_latency [--jobs 8] [--steps 10] [--step-ms 150]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
import time
from pathlib import Path

import aiohttp
import requests

from bench.common import Check, begin, cleanup, finish, latency_summary, print_table, ratio
from bench.drivers import job_body, submit_jobs, wait_jobs_done
from bench.ws_tap import ProgressFrame, WsTap
from studio_ops.live_stack import start_live_studio

NAME = "progress_latency"
POLL_S = 2.0  # the original studio's status polling interval


class Observer:
    """Every job document each client saw: (time, job_id, step value; inf once finished)."""

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        self.headers = headers or {}  # the studio's API token
        self.seen: dict[str, list[tuple[float, str, float]]] = {"sse": [], "poll": []}
        self.done = asyncio.Event()
        self.job_ids: list[str] = []

    def note(self, kind: str, job: dict) -> None:
        """Record what the client `kind` can show for a job right now."""
        at = time.perf_counter()
        step = job.get("step")
        if job.get("status") == "finished":
            self.seen[kind].append((at, job["job_id"], math.inf))
        elif job.get("status") == "processing" and step:
            self.seen[kind].append((at, job["job_id"], float(step["value"])))

    async def read_sse(self, url: str, ready: asyncio.Event) -> None:
        """Read the event stream as the SPA does until told to stop."""
        timeout = aiohttp.ClientTimeout(total=None, sock_read=30)
        async with (
            aiohttp.ClientSession(timeout=timeout, headers=self.headers) as session,
            session.get(url + "/api/events") as resp,
        ):
            resp.raise_for_status()
            ready.set()
            async for raw in resp.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    self.note("sse", json.loads(line[6:]))
                if self.done.is_set():
                    return

    async def poll(self, url: str) -> None:
        """GET /api/status of every job every POLL_S, as the original studio's page did."""
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout, headers=self.headers) as session:
            while not self.done.is_set():
                for job_id in list(self.job_ids):
                    async with session.get(f"{url}/api/status/{job_id}") as resp:
                        self.note("poll", await resp.json())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.done.wait(), POLL_S)


def latencies(frames: list[ProgressFrame], seen: list[tuple[float, str, float]]) -> list[float]:
    """Per frame: seconds until the client first showed that step (or a later one) of the job.

    "Or later" keeps it fair to polling, which skips steps: a 2 s poll shows step 7 for a
    frame of step 5 that came 1.2 s before it, a delay of 1.2 s for that frame.
    """
    out = []
    for frame in frames:
        times = [at for at, job, value in seen if job == frame.prompt_id and value >= frame.value]
        if times:
            out.append(min(times) - frame.at)
    return out


def observe(args: argparse.Namespace, root: Path) -> tuple[list[ProgressFrame], Observer]:
    """Run the jobs on a studio whose worker reaches ComfyUI through the tap; the tap's
    progress frames of those jobs and what the SSE and polling clients saw."""
    studio = start_live_studio(root, sim_args=("--node-ms", "0", "--step-ms", str(args.step_ms)))
    tap = WsTap(studio.sim.url)
    try:
        tap.start()
        # Swap the worker for one that reaches ComfyUI through the tap.
        studio.kill_worker("w1")
        studio.start_worker("w2", COMFYUI_URL=tap.url)
        studio.wait_workers_online(1)
        observer = Observer(studio.headers)
        ready = asyncio.Event()
        sse = tap.spawn(lambda: observer.read_sse(studio.url, ready))
        tap.call(asyncio.wait_for(ready.wait(), 10))
        poller = tap.spawn(lambda: observer.poll(studio.url))
        session = requests.Session()
        session.headers.update(studio.headers)
        bodies = [job_body(args.steps) for _ in range(args.jobs)]
        observer.job_ids[:] = submit_jobs(session, studio.url, bodies)
        wait_jobs_done(session, studio.url, observer.job_ids, 60 + args.jobs * args.steps)
        tap.loop.call_soon_threadsafe(observer.done.set)
        poller.result(15)
        sse.cancel()
    finally:
        studio.stop()  # first: the worker's WebSocket through the tap closes with it
        tap.stop()
    return [f for f in tap.frames if f.prompt_id in set(observer.job_ids)], observer


def main(argv: list[str] | None = None) -> int:
    """Run the studio behind the tap, watch SSE and polling side by side, print latencies."""
    args, root = begin(NAME, argv, jobs=8, steps=10, step_ms=150)
    frames, observer = observe(args, root)
    cleanup(root)
    sse_s = latencies(frames, observer.seen["sse"])
    poll_s = latencies(frames, observer.seen["poll"])
    sse, poll = latency_summary(sse_s), latency_summary(poll_s)
    figures = {
        "jobs": args.jobs,
        "steps": args.steps,
        "step_ms": args.step_ms,
        "frames": len(frames),
        "sse_ms": sse,
        "sse_coverage": ratio(len(sse_s), len(frames)),
        "poll_2s_ms": poll,
        "poll_coverage": ratio(len(poll_s), len(frames)),
        "p50_sse_over_poll": ratio(sse["p50"], poll["p50"]),
        "p95_sse_over_poll": ratio(sse["p95"], poll["p95"]),
    }
    rows = [
        [label, s["n"], f"{cov:.0%}", s["p50"], s["p95"], s["max"]]
        for label, s, cov in (
            ("SSE /api/events", sse, figures["sse_coverage"]),
            ("poll /api/status 2 s", poll, figures["poll_coverage"]),
        )
    ]
    print_table(
        f"progress_latency: {len(frames)} progress frames from ComfyUI "
        f"({args.jobs} jobs x {args.steps} steps x {args.step_ms} ms)",
        ["client", "frames", "shown", "p50 ms", "p95 ms", "max ms"],
        rows,
    )
    sys.stdout.write(
        f"SSE / 2 s polling: p50 {figures['p50_sse_over_poll']:.4f}, "
        f"p95 {figures['p95_sse_over_poll']:.4f}\n"
    )
    checks = [
        Check("SSE p95 ms", sse["p95"], 100, 200, False),
        Check("SSE frames shown", figures["sse_coverage"], 1.0, 0.9, True),
    ]
    return finish(NAME, figures, checks)


if __name__ == "__main__":
    sys.exit(main())
