"""Cancel in every state, and ComfyUI errors shown as readable failures, on a private studio."""

from __future__ import annotations

import requests

from tests.helpers import wait_until
from tests.system.helpers import (
    TERMINAL,
    StudioDb,
    cancel,
    fetch_outputs,
    sim_output_files,
    sim_prompt_ids,
)


def test_cancel_queued_pending_and_running_jobs(quiet):
    studio = quiet
    db = StudioDb(studio)
    studio.sim_config(step_ms=150)  # 8 steps: ~1.2 s of sampling per job
    first_two = [studio.generate(prompt=f"cancel {n}")["job_id"] for n in range(2)]
    queued, bystander = (studio.generate(prompt=f"cancel {n}")["job_id"] for n in (2, 3))

    def in_comfy() -> tuple[str, str] | None:
        # The worker claims the first two at once; ComfyUI decides which one runs first.
        ids = sim_prompt_ids(studio)
        now_running = [j for j in first_two if j in ids["running"]]
        now_pending = [j for j in first_two if j in ids["pending"]]
        return (now_running[0], now_pending[0]) if now_running and now_pending else None

    running, pending = wait_until(in_comfy, 15, "two prompts in ComfyUI (running + pending)")
    assert studio.status(queued)["status"] == "queued"

    # Queued: out of the Redis queue at once, never reaches ComfyUI.
    first = cancel(studio, queued)
    assert first.status_code == 200 and first.json() == {"job_id": queued, "status": "cancelled"}
    second = cancel(studio, queued)
    assert (second.status_code, second.json()) == (200, first.json())

    # Pending in ComfyUI: deleted from its queue, the running prompt goes on.
    assert cancel(studio, pending).json() == {"job_id": pending, "status": "cancelled"}
    wait_until(lambda: pending not in sim_prompt_ids(studio)["pending"], 10, "queue delete")
    assert running in sim_prompt_ids(studio)["running"]

    # Running: a targeted interrupt; the bystander (claimed next) is not touched.
    wait_until(lambda: bystander in sim_prompt_ids(studio)["pending"], 10, "bystander submitted")
    assert cancel(studio, running).json() == {"job_id": running, "status": "cancelled"}
    assert cancel(studio, running).json() == {"job_id": running, "status": "cancelled"}

    done = studio.wait_status(bystander, TERMINAL, timeout=30)
    assert done["status"] == "finished", done
    fetch_outputs(studio, done)
    for job_id in (running, pending, queued):
        job = studio.wait_status(job_id, TERMINAL)
        assert job["status"] == "cancelled" and job["error"] is None, job
        assert job["images"] == [] and db.output_rows(job_id) == []
        assert db.terminal_events(job_id) == ["cancelled"]
    ids = sim_prompt_ids(studio)
    assert queued not in ids["history"] | ids["running"] | ids["pending"]
    assert pending not in ids["history"] | ids["running"] | ids["pending"]
    assert sim_output_files(studio, running) == [] and sim_output_files(studio, pending) == []
    assert db.terminal_events(bystander) == ["finished"]
    # Cancelling a finished job is a conflict, not a silent change.
    assert cancel(studio, bystander).status_code == 409
    db.close()


def test_validation_error_names_the_node_and_the_input(quiet):
    studio = quiet
    # The engine loses a checkpoint after the worker's last probe: the API still offers it,
    # ComfyUI rejects the graph, and the user reads which node and input are wrong.
    models = requests.get(studio.sim.url + "/sim/config", timeout=5).json()["models"]
    models["checkpoints"] = [m for m in models["checkpoints"] if m != "sd15-demo.safetensors"]
    studio.sim_config(models=models)
    job_id = studio.generate(
        workflow="text_to_image_classic", prompt="gone model", model="sd15-demo.safetensors"
    )["job_id"]
    job = studio.wait_status(job_id, TERMINAL)
    assert job["status"] == "failed", job
    assert "CheckpointLoaderSimple" in job["error"] and "ckpt_name" in job["error"]
    assert "sd15-demo.safetensors" in job["error"]
    assert job["images"] == []
    db = StudioDb(studio)
    assert db.terminal_events(job_id) == ["failed"]
    db.close()


def test_runtime_error_names_the_node_and_the_reason(quiet):
    studio = quiet
    studio.sim_config(faults={"fail_at_node": "KSampler"})
    job_id = studio.generate(prompt="doomed at the sampler")["job_id"]
    job = studio.wait_status(job_id, TERMINAL)
    assert job["status"] == "failed", job
    assert "KSampler" in job["error"], job["error"]
    assert job["images"] == [] and job["attempts"] == 1
    # The engine is fine afterwards: the next job runs.
    studio.sim_config(faults={"fail_at_node": None})
    after = studio.wait_status(studio.generate(prompt="fine again")["job_id"], TERMINAL)
    assert after["status"] == "finished"
