"""The worker end to end on real Redis, SQLite (and MariaDB) and the simulator: jobs and cancels."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from studio_core.catalog.tools import Catalog
from studio_core.images import sniff_format
from tests.helpers import wait_until
from tests.worker.helpers import (
    build_stack,
    make_settings,
    png,
    sim_config,
    subscribe_events,
    teardown,
)

CATALOG = Catalog.load()
SLOT_COLORS = ["red", "green", "blue"]


def assert_outputs_stored(stack, job: dict, count: int) -> None:
    assert len(job["outputs"]) == count
    for n, out in enumerate(job["outputs"]):
        assert out["idx"] == n and out["filename"] == f"{job['id']}_{n}.png"
        assert (
            sniff_format(stack.storage.resolve(f"outputs/{out['filename']}").read_bytes()) == "PNG"
        )
        thumb = stack.storage.resolve(f"outputs/thumbs/{out['thumb_filename']}").read_bytes()
        assert sniff_format(thumb) == "WEBP"


@pytest.mark.parametrize("tool_id", [t.id for t in CATALOG.tools])
def test_every_catalog_tool_finishes_with_every_image_stored(stack, tool_id):
    tool = CATALOG.get(tool_id)
    images = {slot.id: png(SLOT_COLORS[i % 3]) for i, slot in enumerate(tool.slots)}
    extra = {}
    if tool.model_folder:  # an installed file that fits the tool, as the dropdown offers
        installed = {tool.model_folder: stack.sim(f"/models/{tool.model_folder}")}
        extra["model"] = tool.fitting_models(installed)[0]
    job_id = stack.create_job(tool_id, images=images, seed=4242, batch_size=2, **extra)
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "finished", job["error"]
    assert job["seed"] == 4242 and job["prompt_id"] == job_id and job["progress"] == 100
    entry = stack.sim(f"/history/{job_id}")[job_id]
    saved = [i for ui in entry["outputs"].values() for i in ui.get("images", [])]
    assert saved and all(i["subfolder"] == "studio" for i in saved)
    assert_outputs_stored(stack, job, len(saved))
    if tool_id.startswith("text_to_image"):
        assert len(saved) == 2  # the whole batch, not only the first image
    assert [e["status"] for e in stack.repo.events(job_id)] == ["queued", "processing", "finished"]
    # The claim is acked right after the row ends (SQL first, then Redis).
    wait_until(lambda: stack.queue.processing(stack.settings.worker_id) == [], 5, "claim acked")


def test_happy_path_on_each_database(tmp_path, redis_url, sim_url, db_engine):
    settings = make_settings(
        tmp_path, redis_url, sim_url, DATABASE_URL=db_engine.url.render_as_string(False)
    )
    built = build_stack(settings, redis_url, sim_url, engine=db_engine)
    try:
        job_id = built.create_job("single_image_edit", images={"input": png()}, batch_size=1)
        built.start_worker()
        job = built.wait_status(job_id)
        assert job["status"] == "finished", job["error"]
        assert_outputs_stored(built, job, 1)
    finally:
        teardown(built)


def test_progress_is_monotonic_and_published(stack, sim_url):
    # Steps longer than the reporter's 0.1 s gap: each one is its own update even when a
    # loaded machine stalls the worker a few hundred ms (at 40 ms, CI saw only 0, 58, 100:
    # steps 4-8 and the end arrived together, and a finished prompt's steps are not replayed).
    sim_config(sim_url, step_ms=150)
    with subscribe_events(stack) as events:
        job_id = stack.create_job(batch_size=1)
        stack.start_worker()
        seen = []
        while not seen or seen[-1]["status"] not in ("finished", "failed"):
            event = events.get(timeout=15)
            assert event is not None, f"no event after {seen[-3:]}"
            if event["job"]["job_id"] == job_id:
                seen.append(event["job"])
    progress = [j["progress"] for j in seen]
    assert seen[-1]["status"] == "finished" and progress[-1] == 100
    assert progress == sorted(progress) and len(set(progress)) >= 4, progress
    assert any(j["current_node"] for j in seen[:-1])
    assert seen[-1]["outputs"] and seen[-1]["outputs"][0]["thumb_url"].endswith(".webp")
    assert stack.repo.get(job_id)["progress"] == 100


def test_cancel_while_queued_never_reaches_comfyui(stack):
    gone = stack.create_job()
    stack.repo.cancel(gone, None)  # what the API does: SQL first, then the queue
    stack.queue.cancel(gone)
    racing = stack.create_job()
    stack.repo.cancel(racing, None)  # the API died before touching Redis: still queued there
    after = stack.create_job()
    worker = stack.start_worker()
    assert stack.wait_status(after)["status"] == "finished"
    wait_until(lambda: racing in worker.outcomes, 5, "racing job skipped")
    for job_id in (gone, racing):
        assert stack.repo.get(job_id)["status"] == "cancelled"
        assert stack.sim(f"/history/{job_id}") == {}
    assert worker.outcomes[racing] == "skipped" and gone not in worker.outcomes
    # A finished status is written before the claim is acked: wait for the ack, not a moment.
    wait_until(lambda: stack.queue.processing(worker.worker_id) == [], 5, "claims acked")


def test_cancel_pending_and_running_prompts_are_targeted(stack, sim_url):
    sim_config(sim_url, step_ms=150)  # 8 steps: about 1.2 s per prompt
    first_two = {stack.create_job(), stack.create_job()}
    survivor = stack.create_job()
    worker = stack.start_worker()

    def running_and_pending() -> tuple[str, str] | None:
        # The worker claims two jobs at once; either may reach ComfyUI first, so ask it.
        queue = stack.sim("/queue")
        running = [i[1] for i in queue["queue_running"] if i[1] in first_two]
        pending = [i[1] for i in queue["queue_pending"] if i[1] in first_two]
        return (running[0], pending[0]) if running and pending else None

    running, pending = wait_until(running_and_pending, 10, "one prompt running, one pending")
    for job_id in (pending, running):
        stack.repo.cancel(job_id, None)
        stack.queue.cancel(job_id)
    for job_id in (pending, running):
        # SQL says cancelled at once (the API wrote it); wait for the worker to stop it.
        wait_until(lambda j=job_id: j in worker.outcomes, 10, f"worker done with {job_id}")
        assert worker.outcomes[job_id] == "cancelled"
        job = stack.repo.get(job_id)
        assert job["status"] == "cancelled" and job["error"] is None
    assert stack.sim(f"/history/{pending}") == {}  # deleted from ComfyUI's queue
    status = stack.sim(f"/history/{running}")[running]["status"]
    assert any(m[0] == "execution_interrupted" for m in status["messages"])
    assert stack.wait_status(survivor)["status"] == "finished"
    events = [e["status"] for e in stack.repo.events(running)]
    assert "failed" not in events and events[-1] == "cancelled"


def test_validation_error_fails_with_node_and_input(stack):
    job_id = stack.create_job(model="no-such-z_image.safetensors")  # fits the tool, absent
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "failed"
    assert "#" in job["error"] and "no-such-z_image.safetensors" in job["error"]
    assert "_name" in job["error"]  # the input (unet_name / ckpt_name) is named


def test_runtime_error_fails_with_node_and_message(stack, sim_url):
    sim_config(sim_url, faults={"fail_at_node": "KSampler"})
    job_id = stack.create_job()
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "failed" and "KSampler" in job["error"]
    assert stack.repo.get(job_id)["outputs"] == []


def test_time_limit_interrupts_and_fails(tmp_path, redis_url, sim_url):
    sim_config(sim_url, faults={"stall_at_node": "KSampler"})
    settings = make_settings(tmp_path, redis_url, sim_url, JOB_TIMEOUT_S=1)
    built = build_stack(settings, redis_url, sim_url)
    try:
        job_id = built.create_job()
        built.start_worker()
        job = built.wait_status(job_id, timeout=15)
        assert job["status"] == "failed" and job["error"] == "timed out after 1 s"
        # The stalled prompt was interrupted (targeted), so ComfyUI is free again.
        wait_until(lambda: not built.sim("/queue")["queue_running"], 10, "ComfyUI idle")
    finally:
        teardown(built)


def test_heartbeat_and_engine_record(stack):
    worker = stack.start_worker()
    wait_until(lambda: stack.queue.workers(), 5, "heartbeat")
    record = next(w for w in stack.queue.workers() if w["id"] == worker.worker_id)
    assert record["online"] and record["engine_online"] and record["backend"] == stack.sim_url
    assert record["simulator"] is True and record["jobs"] == []
    raw = stack.redis.get(f"studio:engine:{stack.sim_url}")
    assert raw and "KSampler" in raw
    with stack.repo.engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar() == 1


def test_preview_frames_reach_live_state(stack):
    """With ComfyUI's previews on, the running job's latest frame is kept for the page."""
    from studio_core.live import LiveState

    sim_config(stack.sim_url, preview=True, step_ms=150)
    live = LiveState(stack.redis)
    job_id = stack.create_job("text_to_image", seed=7)
    stack.start_worker()
    frame = wait_until(lambda: live.get_preview(job_id), 15, "a preview frame")
    assert sniff_format(frame) in {"JPEG", "PNG"}
    assert live.has_preview(job_id)
    assert stack.wait_status(job_id)["status"] == "finished"


def test_a_prompt_waiting_in_comfyui_is_told_apart_from_a_running_one(stack, sim_url):
    """Two jobs on one ComfyUI: the second waits in ComfyUI's queue (stage waiting_engine,
    progress 0) until the first ends, then runs; every stage reaches the event stream."""
    sim_config(sim_url, step_ms=120)  # 8 steps: about 1 s per prompt
    with subscribe_events(stack) as events:
        jobs = [stack.create_job(), stack.create_job()]
        stack.start_worker()
        stages: dict[str, list[tuple[str, str | None, int]]] = {j: [] for j in jobs}
        ended: set[str] = set()
        while ended != set(jobs):
            event = events.get(timeout=15)
            assert event is not None, f"no event after {stages}"
            job = event["job"]
            if job["job_id"] in stages:
                seen = stages[job["job_id"]]
                state = (job["status"], job["stage"], job["progress"])
                if not seen or seen[-1] != state:
                    seen.append(state)
                if job["status"] in ("finished", "failed", "cancelled"):
                    ended.add(job["job_id"])
    order = {j: [stage for _, stage, _ in seen] for j, seen in stages.items()}
    waited = [j for j in jobs if "waiting_engine" in order[j]]
    assert waited, order  # one of the two sat in ComfyUI's queue behind the other
    for job_id in jobs:
        names = list(dict.fromkeys(order[job_id]))  # first appearances, in order
        assert names[0] == "starting" and names[-1] is None, order[job_id]
        assert names.index("running") < names.index("storing"), names
        if "waiting_engine" in names:
            assert names.index("waiting_engine") < names.index("running"), names
            # While it waited, nothing ran: no progress, no node.
            assert all(p == 0 for _, s, p in stages[job_id] if s == "waiting_engine")
        assert stages[job_id][-1][0] == "finished"
