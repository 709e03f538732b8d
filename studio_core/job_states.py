"""Job states, their allowed transitions, and the public (API) shape of a job.

    queued -> processing -> finished | failed | cancelled
    queued -> cancelled | failed        processing -> queued (released by a stopping worker)

Import from `studio_core.jobs`, which also re-exports the SQL `JobRepository`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from studio_core.errors import Conflict


class JobStatus(str, Enum):
    """The five states of a job, as stored in `jobs.status`."""

    QUEUED = "queued"
    PROCESSING = "processing"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


TERMINAL = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.PROCESSING})
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.PROCESSING, JobStatus.CANCELLED, JobStatus.FAILED}),
    # processing -> processing is a redelivery (a new attempt after a worker died).
    JobStatus.PROCESSING: frozenset(
        {
            JobStatus.PROCESSING,
            JobStatus.QUEUED,
            JobStatus.FINISHED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
        }
    ),
    JobStatus.FINISHED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def is_terminal(status: str) -> bool:
    """True for finished, failed and cancelled."""
    return JobStatus(status) in TERMINAL


def can_transition(current: str, new: str) -> bool:
    """Whether a job may move from `current` to `new`."""
    return JobStatus(new) in TRANSITIONS[JobStatus(current)]


def check_transition(current: str, new: str) -> None:
    """Raise Conflict when a job may not move from `current` to `new`."""
    if not can_transition(current, new):
        raise Conflict(f"job is {current} and cannot become {new}")


def output_url(filename: str, base_url: str = "") -> str:
    """URL of a full-size output image (`/outputs/<job_id>_<n>.png`)."""
    return f"{base_url.rstrip('/')}/outputs/{filename}"


def thumb_url(thumb_filename: str, base_url: str = "") -> str:
    """URL of an output's WebP thumbnail (`/outputs/thumbs/<job_id>_<n>.webp`)."""
    return f"{base_url.rstrip('/')}/outputs/thumbs/{thumb_filename}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def to_public(
    job: Mapping[str, Any],
    outputs: Sequence[Mapping[str, Any]] | None = None,
    base_url: str = "",
    live: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The job as the API shows it (docs/ARCHITECTURE.md), merged with live Redis state.

    `outputs` defaults to `job["outputs"]`; `live` may carry progress, queue_position,
    current_node and step for an active job, and `seq`: the version of the live state this
    snapshot was made from (0 when there is none), which clients use to keep the newest.
    """
    outs = sorted(
        outputs if outputs is not None else job.get("outputs") or [], key=lambda o: o["idx"]
    )
    public_outputs = [
        {
            "url": output_url(o["filename"], base_url),
            "thumb_url": thumb_url(o["thumb_filename"], base_url),
            "width": o["width"],
            "height": o["height"],
        }
        for o in outs
    ]
    images = [o["url"] for o in public_outputs]
    live = live or {}
    status = job["status"]
    progress = job.get("progress") or 0
    if status == JobStatus.FINISHED:
        progress = 100
    elif status in ACTIVE and live.get("progress") is not None:
        progress = max(progress, int(live["progress"]))  # never backwards
    active = status in ACTIVE
    step = live.get("step")
    if step is None and isinstance(live.get("step_value"), int) and live.get("step_max"):
        # Redis keeps the step flat (step_value/step_max); events carry the dict already.
        step = {"value": live["step_value"], "max": live["step_max"]}
    return {
        "job_id": job["id"],
        "tool": job["tool"],
        "status": status,
        "progress": progress,
        "queue_position": live.get("queue_position") if status == JobStatus.QUEUED else None,
        "current_node": live.get("current_node") if active else None,
        "step": step if active else None,
        "prompt": job.get("prompt") or "",
        "negative_prompt": job.get("negative_prompt"),
        "seed": job.get("seed"),
        "model": job.get("model"),
        "aspect_ratio": job.get("aspect_ratio"),
        "batch_size": job.get("batch_size"),
        "params": dict(job.get("params") or {}),
        "inputs": {i["slot"]: i["upload_id"] for i in job.get("inputs") or []},
        "images": images,
        "image_url": images[0] if images else None,
        "outputs": public_outputs,
        "error": job.get("error"),
        "favorite": bool(job.get("favorite")),
        "attempts": job.get("attempt", 0),
        "created_at": _iso(job.get("created_at")),
        "started_at": _iso(job.get("started_at")),
        "finished_at": _iso(job.get("finished_at")),
        "seq": int(live.get("seq") or 0),
    }
