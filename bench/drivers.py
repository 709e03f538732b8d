"""Drivers shared by benchmarks: the studio's HTTP API and the direct ComfyUI baseline.

The baseline builds exactly the graph the worker would (same catalog, same `build_graph`)
and submits it straight to a simulator with the project's ComfyClient, keeping ComfyUI's
queue full: the best any front end could do with that engine.
"""

from __future__ import annotations

import logging
import random
import time
import uuid

import requests

from studio_core.catalog.build import build_graph
from studio_core.catalog.tools import Catalog
from worker.comfy.client import ComfyClient

logger = logging.getLogger(__name__)

SEED_SPACE = 2**48  # distinct seeds: the simulator's cache must never skip a job's work


def job_body(steps: int, tool: str = "text_to_image", **extra: object) -> dict:
    """A POST /api/generate body with a fresh random seed and a fixed number of steps."""
    return {
        "workflow": tool,
        "prompt": f"benchmark {uuid.uuid4().hex[:8]}",
        "seed": random.randrange(SEED_SPACE),
        "params": {"steps": steps},
        **extra,
    }


def submit_jobs(session: requests.Session, url: str, bodies: list[dict]) -> list[str]:
    """POST every body to /api/generate (expects 202); returns the job ids in order."""
    ids = []
    for body in bodies:
        resp = session.post(url + "/api/generate", json=body, timeout=30)
        if resp.status_code != 202:
            raise RuntimeError(f"generate answered {resp.status_code}: {resp.text[:300]}")
        ids.append(resp.json()["job_id"])
    return ids


def wait_jobs_done(session: requests.Session, url: str, job_ids: list[str], timeout: float) -> dict:
    """Wait until every job is terminal; returns {job_id: job}. Raises on timeout or failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # One cheap list call per round instead of one status call per job.
        active = session.get(url + "/api/jobs", params={"active": 1, "limit": 1}, timeout=30)
        if active.json()["total"] == 0:
            break
        time.sleep(0.25)
    else:
        raise RuntimeError(f"jobs still active after {timeout:.0f}s at {url}")
    jobs = {}
    for job_id in job_ids:
        job = session.get(f"{url}/api/status/{job_id}", timeout=30).json()
        if job["status"] != "finished":
            raise RuntimeError(f"job {job_id} ended {job['status']}: {job.get('error')}")
        jobs[job_id] = job
    return jobs


def direct_graphs(n: int, steps: int, tool_id: str = "text_to_image") -> dict[str, dict]:
    """{prompt_id: graph} for n jobs, built as the worker builds them."""
    tool = Catalog.load().get(tool_id)
    graphs = {}
    for _ in range(n):
        body = job_body(steps, tool_id)
        params = tool.validate({"prompt": body["prompt"], "seed": body["seed"], "steps": steps})
        prompt_id = str(uuid.uuid4())
        graphs[prompt_id] = build_graph(tool, params, {}, f"direct/{prompt_id}")
    return graphs


def run_direct(sim_url: str, graphs: dict[str, dict], timeout: float) -> float:
    """Submit every graph at once to one ComfyUI and wait for all; returns wall seconds."""
    started = time.monotonic()
    with ComfyClient(sim_url, client_id=f"bench-{uuid.uuid4().hex[:8]}") as client:
        watches = [client.watch(prompt_id, graph) for prompt_id, graph in graphs.items()]
        for prompt_id, graph in graphs.items():
            client.submit(graph, prompt_id)
        for watch in watches:
            result = watch.wait(timeout)
            if result.status != "success":
                raise RuntimeError(f"direct prompt {watch.prompt_id} ended {result.status}")
    return time.monotonic() - started
