"""Redelivery, crashes, Redis loss, engine outages and graceful stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from studio_core.catalog.build import build_graph
from studio_core.catalog.tools import Catalog
from studio_core.jobs.repo import JobRepository
from studio_ops.processes import ROOT, start_simulator
from tests.helpers import wait_until
from tests.worker.helpers import FAST, build_stack, make_settings, sim_config, teardown
from worker.comfy.client import ComfyClient
from worker.jobs.params import job_params
from worker.worker import Worker, WorkerTuning


def saved_files(stack, job_id: str) -> list[str]:
    entry = stack.sim(f"/history/{job_id}")[job_id]
    return sorted(i["filename"] for ui in entry["outputs"].values() for i in ui["images"])


def test_redelivered_job_reuses_the_comfyui_prompt(stack):
    job_id = stack.create_job(batch_size=2)
    # A worker claims the job, submits prompt_id = job id, then dies before finishing.
    assert stack.queue.claim("ghost", timeout=0, lease=0.5).job_id == job_id
    assert stack.repo.attempts.claim(job_id, "ghost") == 1
    job = stack.repo.get(job_id)
    tool = Catalog.load().get("text_to_image")
    graph = build_graph(tool, job_params(tool, job), {}, f"studio/{job_id}")
    with ComfyClient(stack.sim_url, "ghost", timeout=5) as client:
        watch = client.watch(job_id, graph)
        client.submit(graph, job_id)
        assert watch.wait(10).status == "success"
    before = saved_files(stack, job_id)
    history_size = len(stack.sim("/history"))
    stack.start_worker()  # its reaper requeues the ghost's job once its lease lapses
    job = stack.wait_status(job_id, timeout=15)
    assert job["status"] == "finished" and job["attempt"] == 2
    assert len(stack.sim("/history")) == history_size  # nothing ran a second time
    assert saved_files(stack, job_id) == before and len(job["outputs"]) == 2


def test_redis_flushall_is_reconciled_from_sql(stack):
    jobs = [stack.create_job() for _ in range(3)]
    stack.redis.flushall()
    assert stack.queue.length() == 0
    stack.start_worker()
    for job_id in jobs:
        assert stack.wait_status(job_id)["status"] == "finished"


def test_graceful_stop_hands_back_and_the_next_worker_reuses_the_prompt(stack, sim_url):
    sim_config(sim_url, step_ms=200)
    job_id = stack.create_job()
    first = stack.start_worker(grace_s=0.2)
    wait_until(lambda: stack.repo.get(job_id)["prompt_id"], 10, "prompt submitted")
    stack.stop_worker(first)
    assert first.outcomes[job_id] == "handed_back"
    assert stack.repo.get(job_id)["status"] == "queued"
    assert stack.queue.location(job_id) == "queued"
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "finished" and job["attempt"] == 2
    assert len(job["outputs"]) == 1 and len(saved_files(stack, job_id)) == 1


@pytest.mark.slow
def test_engine_down_jobs_wait_then_run(tmp_path, redis_url):
    sim = start_simulator(tmp_path / "sim", "--node-ms", "0", "--step-ms", "5")
    settings = make_settings(tmp_path, redis_url, sim.url)
    built = build_stack(settings, redis_url, sim.url)
    try:
        worker = built.start_worker()
        wait_until(lambda: worker.monitor.online, 5, "engine online")
        sim.stop()
        # Claimed before the worker noticed: it waits for the engine, it is not failed.
        waiting = built.create_job()
        wait_until(lambda: not worker.monitor.online, 5, "engine seen offline")
        wait_until(lambda: waiting in worker.claims, 5, "first job claimed")
        queued = built.create_job()  # while the engine is down nothing more is claimed
        sim.popen.wait(5)
        # A claim that was already blocking when the engine went away may take the job and
        # hand it straight back (front of the queue); after that, nothing claims it.
        wait_until(
            lambda: built.queue.length() == 1 and built.queue.location(queued) == "queued",
            3,
            "second job left queued",
        )
        time.sleep(3 * FAST.claim_wait_s)
        assert built.repo.get(waiting)["status"] == "processing"
        assert built.repo.get(queued)["status"] == "queued"
        assert built.queue.location(queued) == "queued"
        sim = start_simulator(tmp_path / "sim", "--node-ms", "0", "--step-ms", "5", port=sim.port)
        for job_id in (waiting, queued):
            assert built.wait_status(job_id, timeout=20)["status"] == "finished"
    finally:
        teardown(built)
        sim.stop()


@pytest.mark.slow
def test_engine_lost_mid_job_fails_after_the_engine_wait(tmp_path, redis_url):
    sim = start_simulator(tmp_path / "sim", "--node-ms", "0", "--step-ms", "5")
    settings = make_settings(tmp_path, redis_url, sim.url, ENGINE_WAIT_S=2)
    built = build_stack(settings, redis_url, sim.url)
    try:
        sim_config(sim.url, faults={"stall_at_node": "KSampler"})
        job_id = built.create_job()
        built.start_worker()
        wait_until(lambda: built.repo.get(job_id)["prompt_id"], 10, "prompt submitted")
        sim.stop(sig_kill=True)
        job = built.wait_status(job_id, timeout=20)
        assert job["status"] == "failed" and job["error"] == "engine unreachable for 2 s"
    finally:
        teardown(built)
        sim.stop()


@pytest.mark.chaos
def test_killed_worker_process_is_replaced_with_one_result_set(tmp_path, redis_url, sim_url):
    sim_config(sim_url, step_ms=250)
    settings = make_settings(tmp_path, redis_url, sim_url, HEARTBEAT_TTL_S=2)
    built = build_stack(settings, redis_url, sim_url)
    env = {**os.environ, **built.env(WORKER_ID="doomed", HEARTBEAT_TTL_S="2")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        job_id = built.create_job(batch_size=2)
        wait_until(lambda: built.repo.get(job_id)["prompt_id"], 20, "prompt submitted")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert built.repo.get(job_id)["status"] == "processing"
        built.start_worker()
        job = built.wait_status(job_id, timeout=30)
        assert job["status"] == "finished" and job["attempt"] == 2
        assert len(job["outputs"]) == 2 and len(saved_files(built, job_id)) == 2
        assert sorted(p.name for p in built.storage.outputs.glob(f"{job_id}_*.png")) == [
            f"{job_id}_0.png",
            f"{job_id}_1.png",
        ]
        log = (tmp_path / "logs" / "worker.log").read_text()
        assert f"job={job_id} state=processing" in log
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        teardown(built)


def test_poison_job_fails_after_max_attempts(stack):
    job_id = stack.create_job()
    repo: JobRepository = stack.repo
    for n in range(stack.settings.max_attempts):
        assert repo.attempts.claim(job_id, f"crashed-{n}") == n + 1
    worker = stack.start_worker()
    job = stack.wait_status(job_id, timeout=10)
    assert job["status"] == "failed" and "attempts" in job["error"]
    wait_until(lambda: worker.outcomes.get(job_id) == "skipped", 5, "poison skipped")
    assert stack.sim(f"/history/{job_id}") == {}


def test_heartbeat_readopts_held_claims_but_never_a_released_one(stack):
    """After Redis lost its claims the heartbeat re-records them; an acked job stays acked."""
    worker = Worker(stack.settings, tuning=WorkerTuning(**FAST.__dict__))
    try:
        for job_id in ("job-held", "job-done"):
            stack.queue.enqueue(job_id, "1")
        held, done = worker.claims.take(0), worker.claims.take(0)
        worker.claims.ack(done)
        stack.redis.flushall()  # Redis restarted empty
        heartbeat = next(c for c in worker.housekeeping.chores if c.name == "heartbeat")
        heartbeat.run()
        assert stack.queue.location(held.job_id) == f"claimed:{worker.worker_id}"
        assert stack.queue.location(done.job_id) is None
        assert stack.queue.processing(worker.worker_id) == [held.job_id]
    finally:
        worker.client.close()


def _ghost_submits(stack, job_id: str, worker_id: str = "ghost", *, wait: bool = True) -> None:
    """A worker that claimed the job, submitted its prompt, then died (no ack, no record)."""
    job = stack.repo.get(job_id)
    tool = Catalog.load().get("text_to_image")
    graph = build_graph(tool, job_params(tool, job), {}, f"studio/{job_id}")
    with ComfyClient(stack.sim_url, worker_id, timeout=5) as client:
        watch = client.watch(job_id, graph)
        client.submit(graph, job_id)
        if wait:
            assert watch.wait(10).status == "success"


def test_a_restart_under_the_same_id_takes_back_its_predecessors_claims(stack):
    """Its own heartbeat keeps the reaper away, so the new process must recover them itself."""
    job_id = stack.create_job()
    worker_id = stack.settings.worker_id
    assert stack.queue.claim(worker_id, timeout=0, lease=600).job_id == job_id
    assert stack.repo.attempts.claim(job_id, worker_id) == 1  # then kill -9: claim left in Redis
    stack.queue.heartbeat(worker_id, {"state": "running"}, ttl=600)  # still "alive"
    started = time.monotonic()
    worker = stack.start_worker()
    job = stack.wait_status(job_id, timeout=10)
    assert job["status"] == "finished" and job["attempt"] == 2
    assert time.monotonic() - started < 10  # not after a heartbeat TTL (600 s here)
    # The claim is acked right after the row ends (SQL first, then Redis).
    wait_until(lambda: stack.queue.processing(worker.worker_id) == [], 5, "claim acked")


def test_an_exhausted_job_whose_result_exists_is_collected_not_failed(stack):
    job_id = stack.create_job()
    _ghost_submits(stack, job_id)  # ComfyUI rendered it ...
    for n in range(stack.settings.max_attempts):  # ... but every worker died before storing
        assert stack.repo.attempts.claim(job_id, f"crashed-{n}") == n + 1
    history_size = len(stack.sim("/history"))
    stack.start_worker()
    job = stack.wait_status(job_id, timeout=10)
    assert job["status"] == "finished" and len(job["outputs"]) == 1
    assert len(stack.sim("/history")) == history_size  # collected, not rendered again


def test_a_job_failed_as_poison_has_its_prompt_stopped_in_comfyui(stack, sim_url):
    sim_config(sim_url, step_ms=500)
    blocker = stack.create_job()
    job_id = stack.create_job()
    _ghost_submits(stack, blocker, "other-client", wait=False)  # keeps ComfyUI busy
    _ghost_submits(stack, job_id, wait=False)  # pending behind it in ComfyUI's queue
    stack.queue.remove(blocker)
    for n in range(stack.settings.max_attempts):
        assert stack.repo.attempts.claim(job_id, f"crashed-{n}") == n + 1
    stack.start_worker()
    job = stack.wait_status(job_id, timeout=10)
    assert job["status"] == "failed" and job["error"].startswith("gave up after 3 attempts")
    queue = stack.sim("/queue")
    assert job_id not in {item[1] for item in queue["queue_running"] + queue["queue_pending"]}
    assert stack.sim(f"/history/{job_id}") == {}
