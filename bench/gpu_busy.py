"""GPU busy with a backlog (SPEC 9, guarantee 3.7): studio vs a direct driver, side by side.

Two simulators with the same fixed time per job run at the same moment: one is driven
directly (every prompt submitted at once with the ComfyUI client, so its queue is never
empty), the other by a whole studio (N jobs through `POST /api/generate`, one worker).
Busy ratio = engine execution time (the simulator's own execution_start/execution_success
stamps in /history) / wall time from the first start to the last end.

    python -m bench.gpu_busy [--jobs 24] [--steps 10] [--step-ms 50]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from pathlib import Path

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
from bench.drivers import direct_graphs, job_body, run_direct, submit_jobs, wait_jobs_done
from studio_ops.live_stack import start_live_studio
from studio_ops.processes import start_simulator

NAME = "gpu_busy"


def gaps_ms(spans: list[tuple[int, int]]) -> list[int]:
    """Idle engine time between consecutive prompts."""
    return [max(0, nxt[0] - prev[1]) for prev, nxt in itertools.pairwise(spans)]


def run_side_by_side(
    args: argparse.Namespace, root: Path
) -> tuple[dict[str, list[tuple[int, int]]], dict[str, float]]:
    """Drive a studio and a bare simulator at once; their execution spans and driver walls."""
    sim_args = ("--node-ms", "0", "--step-ms", str(args.step_ms))
    studio = start_live_studio(root / "studio", sim_args=sim_args)
    direct_sim = start_simulator(root / "direct-sim", *sim_args)
    timeout = 60 + args.jobs * args.steps * args.step_ms / 1000 * 4
    try:
        graphs = direct_graphs(args.jobs, args.steps)
        direct: dict[str, float] = {}
        thread = threading.Thread(
            target=lambda: direct.update(wall=run_direct(direct_sim.url, graphs, timeout)),
            name="direct-driver",
        )
        session = requests.Session()
        session.headers.update(studio.headers)
        started = time.monotonic()
        thread.start()
        ids = submit_jobs(session, studio.url, [job_body(args.steps) for _ in range(args.jobs)])
        wait_jobs_done(session, studio.url, ids, timeout)
        studio_wall = time.monotonic() - started
        thread.join(timeout)
        if "wall" not in direct:
            raise RuntimeError("the direct driver did not finish")
        studio_spans = execution_spans(studio.sim.url, set(ids))
        direct_spans = execution_spans(direct_sim.url, set(graphs))
    finally:
        studio.stop()
        direct_sim.stop()
    spans = {"studio": studio_spans, "direct": direct_spans}
    return spans, {"studio": studio_wall, "direct": direct["wall"]}


def main(argv: list[str] | None = None) -> int:
    """Run both sides at once and print busy ratios."""
    args, root = begin(NAME, argv, jobs=24, steps=10, step_ms=50)
    side, walls = run_side_by_side(args, root)
    cleanup(root)
    figures: dict = {"jobs": args.jobs, "steps": args.steps, "step_ms": args.step_ms}
    rows = []
    for label, spans in side.items():
        gaps = gaps_ms(spans)
        busy = busy_ratio(spans)
        mean_job = sum(e - s for s, e in spans) / len(spans) / 1000
        figures[label] = {
            "busy_ratio": busy,
            "prompts": len(spans),
            "mean_job_s": mean_job,
            "gap_ms_mean": sum(gaps) / len(gaps) if gaps else 0.0,
            "gap_ms_max": max(gaps, default=0),
            "driver_wall_s": walls[label],
        }
        f = figures[label]
        rows.append(
            [label, len(spans), mean_job, f["gap_ms_mean"], f["gap_ms_max"], busy, walls[label]]
        )
    figures["studio_over_direct"] = ratio(
        figures["studio"]["busy_ratio"], figures["direct"]["busy_ratio"]
    )
    print_table(
        f"gpu_busy: {args.jobs} jobs x {args.steps} steps x {args.step_ms} ms, run side by side",
        ["side", "prompts", "job s", "gap ms mean", "gap ms max", "busy", "wall s"],
        rows,
    )
    checks = [
        Check("studio busy ratio", figures["studio"]["busy_ratio"], 0.98, 0.93, True),
        Check("studio / direct busy", figures["studio_over_direct"], 0.98, 0.93, True),
    ]
    return finish(NAME, figures, checks)


if __name__ == "__main__":
    sys.exit(main())
