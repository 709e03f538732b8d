"""The job as the API shows it: one builder, `to_public`, for REST, SSE and worker events alike.

Whoever publishes a job builds it here, complete (input URLs, preview URL, live state), so
the SSE stream forwards events as they come and a page sees one shape whatever the channel.
Fields are in docs/API.md; their order is part of the byte-for-byte output of the stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from studio_core.jobs.inputs import split_inputs
from studio_core.jobs.states import ACTIVE, JobStage, JobStatus


def output_url(filename: str, base_url: str = "") -> str:
    """URL of a full-size output image (`/outputs/<job_id>_<n>.png`)."""
    return f"{base_url.rstrip('/')}/outputs/{filename}"


def thumb_url(thumb_filename: str, base_url: str = "") -> str:
    """URL of an output's WebP thumbnail (`/outputs/thumbs/<job_id>_<n>.webp`)."""
    return f"{base_url.rstrip('/')}/outputs/thumbs/{thumb_filename}"


def upload_url(upload_id: str) -> str:
    """Where the owner can fetch an upload."""
    return f"/api/uploads/{upload_id}"


def preview_url(job_id: str, version: Any) -> str:
    """URL of a running job's latest preview frame; `version` changes it per frame."""
    return f"/api/jobs/{job_id}/preview?v={version}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _outputs(job: Mapping[str, Any], base_url: str) -> list[dict]:
    return [
        {
            "url": output_url(o["filename"], base_url),
            "thumb_url": thumb_url(o["thumb_filename"], base_url),
            "width": o["width"],
            "height": o["height"],
        }
        for o in sorted(job.get("outputs") or [], key=lambda o: o["idx"])
    ]


def _uploads(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, dict]:
    return {
        slot: {
            "upload_id": i["upload_id"],
            "url": upload_url(i["upload_id"]) if i["upload_id"] else None,
        }
        for slot, i in rows.items()
    }


def _step(live: Mapping[str, Any]) -> dict | None:
    step = live.get("step")
    if step is None and isinstance(live.get("step_value"), int) and live.get("step_max"):
        # Redis keeps the step flat (step_value/step_max); the worker passes the dict.
        step = {"value": live["step_value"], "max": live["step_max"]}
    return step


def job_stage(status: str, live: Mapping[str, Any], progress: int) -> str | None:
    """The public `stage`: queued while queued; for a processing job what its worker last
    wrote, or (no word from it yet) starting, running once progress moved; None once ended."""
    if status == JobStatus.QUEUED:
        return JobStage.QUEUED.value
    if status != JobStatus.PROCESSING:
        return None
    try:
        return JobStage(live.get("stage")).value
    except ValueError:
        return (JobStage.RUNNING if progress > 0 else JobStage.STARTING).value


def to_public(
    job: Mapping[str, Any],
    base_url: str = "",
    live: Mapping[str, Any] | None = None,
    has_preview: bool = False,
) -> dict[str, Any]:
    """The job row (with `inputs` and `outputs`) as the API shows it, merged with live state.

    `live` may carry progress, stage, queue_position, current_node and step for an active job, and
    `seq`: the version of the live state this snapshot was made from (0 when there is none),
    which clients use to keep the newest. `has_preview`: a preview frame is kept for it.
    """
    live = live or {}
    status = job["status"]
    active = status in ACTIVE
    progress = job.get("progress") or 0
    if status == JobStatus.FINISHED:
        progress = 100
    elif active and live.get("progress") is not None:
        progress = max(progress, int(live["progress"]))  # never backwards
    outputs = _outputs(job, base_url)
    images = [o["url"] for o in outputs]
    inputs, masks = split_inputs(job.get("inputs") or [])
    running = status == JobStatus.PROCESSING
    return {
        "job_id": job["id"],
        "user_id": job.get("user_id"),  # the owner: an admin's "everyone" view shows it
        "tool": job["tool"],
        "status": status,
        "stage": job_stage(status, live, progress),
        "progress": progress,
        "queue_position": live.get("queue_position") if status == JobStatus.QUEUED else None,
        "current_node": live.get("current_node") if active else None,
        "step": _step(live) if active else None,
        "prompt": job.get("prompt") or "",
        "negative_prompt": job.get("negative_prompt"),
        "seed": job.get("seed"),
        "model": job.get("model"),
        "aspect_ratio": job.get("aspect_ratio"),
        "batch_size": job.get("batch_size"),
        "params": dict(job.get("params") or {}),
        "inputs": _uploads(inputs),
        "masks": _uploads(masks),
        "images": images,
        "image_url": images[0] if images else None,
        "outputs": outputs,
        "error": job.get("error"),
        "favorite": bool(job.get("favorite")),
        "attempts": job.get("attempt", 0),
        "created_at": _iso(job.get("created_at")),
        "started_at": _iso(job.get("started_at")),
        "finished_at": _iso(job.get("finished_at")),
        "seq": int(live.get("seq") or 0),
        "preview_url": preview_url(job["id"], progress) if running and has_preview else None,
    }
