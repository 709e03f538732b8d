"""Job states, transitions and the public (API) shape of a job."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from studio_core.errors import Conflict
from studio_core.jobs.public import to_public
from studio_core.jobs.states import (
    TERMINAL,
    JobStatus,
    can_transition,
    check_transition,
    sources_for,
)


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("queued", "processing", True),
        ("queued", "cancelled", True),
        ("queued", "finished", False),
        ("processing", "processing", True),
        ("processing", "finished", True),
        ("processing", "queued", True),
        ("finished", "processing", False),
        ("cancelled", "failed", False),
        ("failed", "queued", False),
    ],
)
def test_transitions(current, new, allowed):
    assert can_transition(current, new) is allowed
    if allowed:
        check_transition(current, new)
    else:
        with pytest.raises(Conflict):
            check_transition(current, new)


@pytest.mark.parametrize(
    ("new", "among", "sources"),
    [
        ("processing", None, ("queued", "processing")),
        ("cancelled", None, ("queued", "processing")),
        ("cancelled", ("processing",), ("processing",)),
        ("finished", None, ("processing",)),
        ("queued", None, ("processing",)),
    ],
)
def test_writes_take_their_sources_from_the_table(new, among, sources):
    picked = sources_for(JobStatus(new), among and [JobStatus(s) for s in among])
    assert picked == tuple(JobStatus(s) for s in sources)


def test_a_write_from_a_status_the_table_forbids_is_refused():
    with pytest.raises(ValueError):
        sources_for(JobStatus.FINISHED, [JobStatus.QUEUED])


def test_terminal_states():
    assert {s.value for s in TERMINAL} == {"finished", "failed", "cancelled"}
    assert str(JobStatus.QUEUED) == "queued" and JobStatus("failed") is JobStatus.FAILED


def job_row(**overrides):
    row = {
        "id": "j1",
        "tool": "text_to_image",
        "status": "finished",
        "progress": 40,
        "prompt": "cat",
        "negative_prompt": None,
        "seed": 42,
        "model": "m.safetensors",
        "aspect_ratio": "1:1",
        "batch_size": 2,
        "params": {"steps": 8},
        "error": None,
        "favorite": True,
        "attempt": 1,
        "created_at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        "started_at": None,
        "finished_at": None,
        "inputs": [{"slot": "image", "upload_id": "u1", "path": "uploads/u1.png"}],
        "outputs": [
            {
                "idx": 1,
                "filename": "j1_1.png",
                "thumb_filename": "j1_1.webp",
                "width": 8,
                "height": 4,
                "size_bytes": 10,
            },
            {
                "idx": 0,
                "filename": "j1_0.png",
                "thumb_filename": "j1_0.webp",
                "width": 8,
                "height": 4,
                "size_bytes": 10,
            },
        ],
    }
    row.update(overrides)
    return row


def test_to_public_lists_every_image_with_its_thumbnail():
    public = to_public(job_row())
    assert public["job_id"] == "j1" and public["progress"] == 100 and public["attempts"] == 1
    assert public["images"] == ["/outputs/j1_0.png", "/outputs/j1_1.png"]
    assert public["image_url"] == "/outputs/j1_0.png"
    assert public["outputs"][0] == {
        "url": "/outputs/j1_0.png",
        "thumb_url": "/outputs/thumbs/j1_0.webp",
        "width": 8,
        "height": 4,
    }
    assert public["inputs"] == {"image": {"upload_id": "u1", "url": "/api/uploads/u1"}}
    assert public["created_at"] == "2024-01-02T03:04:05+00:00"
    assert public["queue_position"] is None and public["favorite"] is True


def test_to_public_merges_live_state_without_going_backwards():
    live = {"progress": 25, "queue_position": 3, "current_node": "KSampler", "step": 4}
    queued = to_public(job_row(status="queued", outputs=[]), live=live, base_url="https://x/")
    assert queued["progress"] == 40 and queued["queue_position"] == 3
    assert queued["images"] == [] and queued["image_url"] is None
    running = to_public(job_row(status="processing", outputs=[]), live={**live, "progress": 70})
    assert running["progress"] == 70 and running["current_node"] == "KSampler"
    assert running["queue_position"] is None
    custom = to_public(job_row(), base_url="https://x/")
    assert custom["image_url"] == "https://x/outputs/j1_0.png"


def test_to_public_carries_the_live_seq_or_zero():
    assert to_public(job_row(status="queued", outputs=[]), live={"seq": 17})["seq"] == 17
    assert to_public(job_row(), live={"seq": 18})["seq"] == 18  # terminal rows too
    assert to_public(job_row(status="processing", outputs=[]))["seq"] == 0


@pytest.mark.parametrize(
    ("status", "live", "stage"),
    [
        ("queued", {"stage": "running"}, "queued"),  # a stale stage of an earlier attempt
        ("processing", {"stage": "waiting_engine"}, "waiting_engine"),
        ("processing", {"stage": "storing", "progress": 99}, "storing"),
        ("processing", {}, "starting"),  # no word from the worker yet
        ("processing", {"progress": 30}, "running"),  # a worker that does not write stages
        ("processing", {"stage": "bogus", "progress": 0}, "starting"),
        ("finished", {"stage": "running"}, None),
        ("cancelled", {"stage": "waiting_engine"}, None),
    ],
)
def test_to_public_stage_says_where_an_active_job_is(status, live, stage):
    row = job_row(status=status, progress=0)  # the SQL copy of progress lags: live counts
    assert to_public(row, live=live)["stage"] == stage
