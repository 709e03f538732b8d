"""Backends scale (SPEC 9): N ComfyUI backends give >= 0.9 x N the throughput of one.

Two studios run side by side: one with a single worker on one simulator, one with two
workers each on its own simulator (same fixed time per job). Each gets a backlog of the
same job mix sized to last about as long (N jobs vs 2N), submitted at the same moment.
Throughput = finished jobs / wall time from first submit to last finish, end to end.

    python -m bench.backends_scale [--jobs 16] [--steps 10] [--step-ms 50]
"""

from __future__ import annotations

import sys
import threading
import time

import requests

from bench.common import (
    Check,
    begin,
    busy_ratio,
    cleanup,
    execution_spans,
    finish,
    print_table,
    ratio,
)
from bench.drivers import job_body, submit_jobs, wait_jobs_done
from studio_ops.live_stack import LiveStudio, start_live_studio
from studio_ops.processes import Proc, start_simulator

NAME = "backends_scale"


def drive(studio: LiveStudio, jobs: int, steps: int, timeout: float, out: dict) -> None:
    """Submit a backlog and wait for it; stores ids and wall seconds in `out`."""
    session = requests.Session()
    session.headers.update(studio.headers)
    started = time.monotonic()
    ids = submit_jobs(session, studio.url, [job_body(steps) for _ in range(jobs)])
    wait_jobs_done(session, studio.url, ids, timeout)
    out.update(ids=ids, wall=time.monotonic() - started)


def drive_side_by_side(
    studios: dict[int, LiveStudio], jobs: int, steps: int, timeout: float
) -> dict[int, dict]:
    """Drive n x `jobs` into studio n, all studios at once; returns {n: {ids, wall}}."""
    results: dict[int, dict] = {n: {} for n in studios}
    threads = [
        threading.Thread(
            target=drive,
            args=(studio, n * jobs, steps, timeout, results[n]),
            name=f"drive-{n}",
        )
        for n, studio in studios.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 30)
    if not all("wall" in r for r in results.values()):
        raise RuntimeError("a driver did not finish (see the studio logs)")
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the one-backend and two-backend studios at once and compare throughput."""
    helps = {"jobs": "jobs per backend"}
    args, root = begin(NAME, argv, helps, jobs=16, steps=10, step_ms=50)
    sim_args = ("--node-ms", "0", "--step-ms", str(args.step_ms))
    studios: dict[int, LiveStudio] = {}
    extra_sims: list[Proc] = []
    timeout = 60 + 2 * args.jobs * args.steps * args.step_ms / 1000 * 4
    try:
        studios[1] = start_live_studio(root / "one", sim_args=sim_args)
        studios[2] = start_live_studio(root / "two", sim_args=sim_args)
        extra_sims.append(start_simulator(root / "two" / "sim2", *sim_args))
        studios[2].start_worker("w2", COMFYUI_URL=extra_sims[0].url)
        studios[2].wait_workers_online(2)
        results = drive_side_by_side(studios, args.jobs, args.steps, timeout)
        sims = {1: [studios[1].sim.url], 2: [studios[2].sim.url, extra_sims[0].url]}
        per_sim = {
            n: [len(execution_spans(url, set(results[n]["ids"]))) for url in urls]
            for n, urls in sims.items()
        }
        busy = {
            n: [busy_ratio(execution_spans(url, set(results[n]["ids"]))) for url in urls]
            for n, urls in sims.items()
        }
    finally:
        for studio in studios.values():
            studio.stop()
        for sim in extra_sims:
            sim.stop()
    cleanup(root)
    throughput = {n: len(r["ids"]) / r["wall"] for n, r in results.items()}
    scale = ratio(throughput[2], throughput[1])
    figures = {
        "jobs_per_backend": args.jobs,
        "steps": args.steps,
        "step_ms": args.step_ms,
        "throughput_jobs_per_s": throughput,
        "wall_s": {n: r["wall"] for n, r in results.items()},
        "jobs_per_simulator": per_sim,
        "busy_per_simulator": busy,
        "speedup": scale,
        "efficiency": scale / 2,
    }
    rows = [
        [n, len(results[n]["ids"]), results[n]["wall"], throughput[n], per_sim[n], busy[n]]
        for n in (1, 2)
    ]
    print_table(
        "backends_scale: 1 vs 2 backends, side by side",
        ["backends", "jobs", "wall s", "jobs/s", "jobs per sim", "busy per sim"],
        [[*r[:4], str(r[4]), " ".join(f"{b:.3f}" for b in r[5])] for r in rows],
    )
    sys.stdout.write(f"throughput 2 / 1 = {scale:.3f} (efficiency {scale / 2:.3f})\n")
    checks = [Check("2-backend efficiency", scale / 2, 0.9, 0.8, True)]
    return finish(NAME, figures, checks)


if __name__ == "__main__":
    sys.exit(main())
