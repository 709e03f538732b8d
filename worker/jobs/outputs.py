"""Saving a finished prompt's images: every image of every output node, PNG + WebP thumbnail."""

from __future__ import annotations

import logging

from studio_core.errors import InvalidImage
from studio_core.storage import StoragePaths, StoredOutput
from worker.jobs.outcomes import JobFailed

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def store_outputs(
    storage: StoragePaths, job_id: str, files: list[tuple[dict, bytes]], thumb_px: int
) -> list[StoredOutput]:
    """Write each downloaded image as `<job_id>_<n>.png` + thumbnail; JobFailed if none."""
    images = [
        (item, data)
        for item, data in files
        if str(item.get("filename", "")).lower().endswith(IMAGE_SUFFIXES)
    ]
    if not images:
        raise JobFailed("output missing")
    stored = []
    for n, (item, data) in enumerate(images):
        try:
            stored.append(storage.write_output(job_id, n, data, thumb_px))
        except InvalidImage as exc:
            raise JobFailed(f"output missing ({item.get('filename')}: {exc})") from exc
    logger.info("job=%s stored images=%s", job_id, len(stored))
    return stored
