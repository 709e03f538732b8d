"""The worker runs imported tools from the live catalog, and fails a job whose tool an admin
disabled or deleted after it was submitted, saying so."""

from __future__ import annotations

import pytest

from studio_core.custom_tools import store
from tests.imported_tools import invert_graph, invert_manifest
from tests.worker.helpers import png


def _publish(stack, tool_id: str = "invert") -> None:
    store.create(
        stack.repo.engine,
        tool_id,
        manifest=invert_manifest(tool_id),
        workflow=invert_graph(),
        problems=[],
        checked_against="bundled",
        created_by=None,
    )
    store.set_status(stack.repo.engine, tool_id, store.PUBLISHED)


def test_a_tool_published_while_the_worker_runs_is_run(stack):
    stack.start_worker()  # its catalog is loaded before the tool exists
    _publish(stack)
    job_id = stack.create_job("invert", images={"image": png("red")})
    job = stack.wait_status(job_id)
    assert job["status"] == "finished", job["error"]
    prompt = stack.sim(f"/history/{job_id}")[job_id]["prompt"][2]
    assert prompt["2"]["class_type"] == "ImageInvert"
    assert prompt["1"]["inputs"]["image"] == f"studio/{job_id}_image.png"
    assert len(job["outputs"]) == 1


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_a_job_of_a_tool_taken_away_after_submit_fails_saying_why(stack, change):
    _publish(stack)
    job_id = stack.create_job("invert", images={"image": png("red")})
    if change == "disable":
        store.set_status(stack.repo.engine, "invert", store.DISABLED)
    else:
        store.delete(stack.repo.engine, "invert")
    stack.start_worker()
    job = stack.wait_status(job_id)
    assert job["status"] == "failed"
    expected = "is disabled" if change == "disable" else "unknown tool 'invert'"
    assert "cannot build the workflow" in job["error"] and expected in job["error"]
    assert stack.sim(f"/history/{job_id}") == {}  # it never reached ComfyUI
