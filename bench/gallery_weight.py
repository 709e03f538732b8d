"""Gallery weight (SPEC 9): a page of 50 results transfers < 3 MB whatever the outputs weigh.

The outputs are made as heavy as PNG gets: 50 image-edit jobs on an uploaded 1024x1024
random-noise picture, which the simulator blends into every output (noise does not
compress). The gallery is what the SPA loads: `GET /api/jobs?limit=50` plus every
`thumb_url`; the baseline beside it is the full-size images of the same page.

    python -m bench.gallery_weight [--jobs 50] [--side 1024]
"""

from __future__ import annotations

import io
import os
import sys

import requests
from PIL import Image

from bench.common import Check, begin, cleanup, finish, print_table, ratio
from bench.drivers import job_body, submit_jobs, wait_jobs_done
from studio_ops.live_stack import start_live_studio

NAME = "gallery_weight"
MB = 1024 * 1024


def noise_png(side: int) -> bytes:
    """A side x side RGB picture of random bytes: the worst case for PNG and thumbnails."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Make a page of heavy results, then weigh the gallery against the full images."""
    args, root = begin(NAME, argv, jobs=50, side=1024)
    studio = start_live_studio(root, sim_args=("--node-ms", "0", "--step-ms", "5"))
    session = requests.Session()
    session.headers.update(studio.headers)
    try:
        upload = session.post(
            studio.url + "/api/uploads",
            files={"file": ("noise.png", noise_png(args.side), "image/png")},
            timeout=60,
        )
        upload.raise_for_status()
        upload_id = upload.json()["upload_id"]
        bodies = [
            job_body(2, "single_image_edit", images={"input": upload_id}) for _ in range(args.jobs)
        ]
        ids = submit_jobs(session, studio.url, bodies)
        wait_jobs_done(session, studio.url, ids, 60 + 3 * args.jobs)
        page = session.get(studio.url + "/api/jobs", params={"limit": args.jobs}, timeout=30)
        page.raise_for_status()
        outputs = [o for job in page.json()["jobs"] for o in job["outputs"]]
        thumbs = [
            len(session.get(studio.url + o["thumb_url"], timeout=30).content) for o in outputs
        ]
        fulls = [len(session.get(studio.url + o["url"], timeout=60).content) for o in outputs]
    finally:
        studio.stop()
    cleanup(root)
    gallery = len(page.content) + sum(thumbs)
    figures = {
        "results": len(outputs),
        "list_bytes": len(page.content),
        "thumb_bytes": sum(thumbs),
        "thumb_bytes_max": max(thumbs),
        "gallery_bytes": gallery,
        "full_bytes": sum(fulls),
        "full_bytes_mean": sum(fulls) / len(fulls),
        "gallery_over_full": ratio(gallery, sum(fulls)),
    }
    print_table(
        f"gallery_weight: one page of {len(outputs)} results ({args.side}px noise outputs)",
        ["what", "requests", "MB", "KB per image"],
        [
            ["GET /api/jobs?limit=50", 1, len(page.content) / MB, ""],
            [
                "thumbnails (thumb_url)",
                len(thumbs),
                sum(thumbs) / MB,
                sum(thumbs) / len(thumbs) / 1024,
            ],
            ["gallery page total", 1 + len(thumbs), gallery / MB, ""],
            ["full-size images (url)", len(fulls), sum(fulls) / MB, sum(fulls) / len(fulls) / 1024],
            ["gallery / full-size", "", figures["gallery_over_full"], ""],
        ],
    )
    checks = [
        Check("gallery MB", gallery / MB, 3.0, 6.0, False),
        Check("results on the page", len(outputs), args.jobs, args.jobs, True),
    ]
    return finish(NAME, figures, checks)


if __name__ == "__main__":
    sys.exit(main())
