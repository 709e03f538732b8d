"""Jobs in every shape and state on a fake API: portrait and landscape outputs, an edit with its
input, a failed and a running job. The gallery, lightbox and accessibility tests share them."""

from __future__ import annotations

# aspect ratio -> output size, as the real templates render them (longest side 1024)
SIZES = {
    "9:16": (576, 1024),
    "2:3": (683, 1024),
    "3:4": (768, 1024),
    "1:1": (1024, 1024),
    "16:9": (1024, 576),
    "4:3": (1024, 768),
}
EDIT_JOB = "job0040"


def outputs(job_id: str, aspect: str, n: int = 1) -> list[dict]:
    """Output records of job_id at `aspect`, shaped like the API's."""
    width, height = SIZES[aspect]
    return [
        {
            "url": f"/outputs/{job_id}_{i}.png",
            "thumb_url": f"/outputs/thumbs/{job_id}_{i}.webp",
            "width": width,
            "height": height,
        }
        for i in range(n)
    ]


def finished(api, n: int, aspect: str, count: int = 1, **extra) -> dict:
    """Add finished job n with `count` outputs at `aspect`."""
    job_id = f"job{n:04d}"
    outs = outputs(job_id, aspect, count)
    return api.add_job(
        n,
        aspect_ratio=aspect,
        outputs=outs,
        images=[o["url"] for o in outs],
        image_url=outs[0]["url"],
        batch_size=count,
        **extra,
    )


def fill(api) -> None:
    """Every aspect ratio (two of each portrait one), an edit with an input, a batch of two,
    a failed, a running and a queued job."""
    n = 10  # newer than the active and failed jobs: the first rows show the shapes
    for aspect in ("9:16", "2:3", "3:4", "1:1", "16:9", "4:3", "9:16", "2:3", "3:4"):
        finished(api, n, aspect, favorite=n == 11)
        n += 1
    finished(
        api,
        30,
        "1:1",
        count=2,
        params={"steps": 8, "cfg": 1.0, "sampler_name": "euler", "scheduler": "simple"},
    )
    finished(
        api,
        int(EDIT_JOB[3:]),
        "3:4",
        tool="single_image_edit",
        prompt="make the fox's coat a deep blue",
        inputs={"input": {"upload_id": "up9", "url": "/api/uploads/up9"}},
    )
    api.add_job(4, status="failed", error="ComfyUI rejected the workflow: missing node")
    api.add_job(3, status="processing", progress=40, started_at="2026-05-01T12:03:00")
    api.add_job(2, status="queued", queue_position=1)
